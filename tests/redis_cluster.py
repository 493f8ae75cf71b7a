"""A real local Redis Cluster for tests: 6 redis-server processes (3 masters, 3 replicas) on free
loopback ports, created with ``redis-cli --cluster create``, removed afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

__all__ = ["LocalCluster", "free_ports"]


def free_ports(n: int) -> list[int]:
    """n distinct free loopback ports whose cluster bus port (+10000) is free too."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535 or port in ports:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        ports.append(port)
    return ports


class LocalCluster:
    """``start()`` builds the cluster and waits for ``cluster_state:ok`` everywhere; ``stop()`` kills it."""

    def __init__(self, workdir: Path, nodes: int = 6, replicas: int = 1, appendfsync: str = "everysec") -> None:
        self.dir = workdir
        self.ports = free_ports(nodes)
        self.replicas = replicas
        self._appendfsync = appendfsync
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports[:3])

    def _start_node(self, port: int) -> None:
        d = self.dir / str(port)
        d.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server") or "redis-server"
        self.procs[port] = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(d), "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000", "--appendonly", "yes",
             "--appendfsync", self._appendfsync, "--save", "", "--logfile", str(d / "redis.log"),
             "--cluster-replica-validity-factor", "0", "--repl-ping-replica-period", "1",
             "--repl-diskless-sync-delay", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def start(self, timeout_s: float = 30.0) -> None:
        for i in range(len(self.ports)):
            for _ in range(5):  # a port taken by someone else since free_ports() looked: pick another
                self._start_node(self.ports[i])
                if self._wait_ping(self.ports[i], timeout_s):
                    break
                self.procs.pop(self.ports[i])
                self.ports[i] = free_ports(1)[0]
            else:
                raise RuntimeError("could not start a redis-server on a free port")
        subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout_s,
        )
        self.wait_ok(timeout_s)

    def _wait_ping(self, port: int, timeout_s: float) -> bool:
        """True once our redis-server on ``port`` answers; False if it exited (the port was taken)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.procs[port].poll() is not None:
                return False
            try:  # ours, not another process that holds the port
                if int(redis.Redis(port=port, socket_timeout=1).info("server")["process_id"]) == self.procs[port].pid:
                    return True
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on {port} did not start")
            time.sleep(0.02)

    def alive(self) -> list[int]:
        return [p for p, proc in self.procs.items() if proc.poll() is None]

    def wait_ok(self, timeout_s: float = 30.0) -> None:
        """Until every live node says the cluster is ok, all 16384 slots have a live master and every
        live replica is in sync with its master (a failover before that would lose everything)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if all(self._ok(p) and self._synced(p) for p in self.alive()):
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis cluster did not become ok")
            time.sleep(0.1)

    @staticmethod
    def _ok(port: int) -> bool:
        info = redis.Redis(port=port, socket_timeout=1, decode_responses=True).cluster("info")
        return info.get("cluster_state") == "ok" and int(info.get("cluster_slots_ok", 0)) == 16384

    @staticmethod
    def _synced(port: int) -> bool:
        info = redis.Redis(port=port, socket_timeout=1, decode_responses=True).info("replication")
        return info["role"] == "master" or info.get("master_link_status") == "up"

    def master_of(self, key: str) -> int:
        """Port of the master that owns ``key``'s slot now."""
        r = redis.RedisCluster(host="127.0.0.1", port=self.alive()[0])
        try:
            return int(r.get_node_from_key(key).port)
        finally:
            r.close()

    def kill(self, port: int) -> None:
        proc = self.procs[port]
        proc.kill()
        proc.wait(10)

    def wait_failover(self, dead: int, timeout_s: float = 30.0) -> None:
        """Until a replica has taken over every slot of the killed master ``dead``."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if dead not in self.master_ports() and all(self._ok(p) for p in self.alive()):
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no replica took over from {dead}")
            time.sleep(0.1)

    def revive(self, port: int, timeout_s: float = 30.0) -> None:
        """Start a killed node again: it rejoins (as a replica, once its master was replaced)."""
        self._start_node(port)
        if not self._wait_ping(port, timeout_s):
            raise RuntimeError(f"redis-server on {port} could not start again")
        self.wait_ok(timeout_s)

    def master_ports(self) -> list[int]:
        """Masters that own slots, as a live node sees them now."""
        info = redis.Redis(port=self.alive()[0], socket_timeout=1, decode_responses=True).execute_command(
            "CLUSTER", "SLOTS")
        return sorted({int(entry[2][1]) for entry in info})

    def flushall(self) -> None:
        r = redis.RedisCluster(host="127.0.0.1", port=self.alive()[0])
        try:
            r.flushall(target_nodes=redis.RedisCluster.PRIMARIES)
            for node in r.get_primaries():
                r.execute_command("SCRIPT", "FLUSH", target_nodes=node)
        finally:
            r.close()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs.values():
            proc.wait(10)
        self.procs.clear()
