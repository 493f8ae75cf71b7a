"""``serve --workers 2``: two processes answer on one port with one embedded Redis, a websocket on
one worker sees chat sent through the other, the books verify, /metrics covers both, a killed
worker is replaced, and SIGTERM stops everything."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import websockets

from livecommerce.config import load_secret
from livecommerce.web.auth import Role, TokenSigner
from tests.livecommerce.test_serve import _cli, _free_port


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _call(url: str, token: str | None = None, body: dict | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
    """(status, JSON body, answering worker) over a new connection each time."""
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json", **(headers or {}),
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}"), r.headers.get("X-LC-Worker", "")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), e.headers.get("X-LC-Worker", "")


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], workers: set[str], timeout_s: float = 40) -> None:
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while not workers <= seen:
        assert proc.poll() is None, "the supervisor exited"
        assert time.monotonic() < deadline, f"workers answering: {seen}"
        try:
            status, _, worker = _call(base + "/healthz")
            if status == 200:
                seen.add(worker)
        except OSError:
            time.sleep(0.1)


async def _ws_on(port: int, room: str, token: str, worker: str) -> websockets.ClientConnection:
    """A room websocket answered by ``worker`` (new connections until the kernel picks it)."""
    for _ in range(60):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/rooms/{room}?token={token}")
        if ws.response.headers.get("X-LC-Worker") == worker:
            return ws
        await ws.close()
    raise AssertionError(f"no connection reached worker {worker}")


async def _until_chat(ws: websockets.ClientConnection) -> dict:
    async with asyncio.timeout(10):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == "chat":
                return msg


async def _chat_across_workers(port: int, room: str, tokens: list[str]) -> dict:
    on_0 = await _ws_on(port, room, tokens[0], "0")
    on_1 = await _ws_on(port, room, tokens[1], "1")
    try:
        await asyncio.sleep(0.3)
        await on_1.send(json.dumps({"type": "chat", "text": "hello from worker 1"}))
        return await _until_chat(on_0)
    finally:
        await on_0.close()
        await on_1.close()


def start_workers(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """``serve --workers 2`` on a free port with its own embedded Redis: (process, base URL, env)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LC_SECRET", "REDIS_URL", "DATABASE_URL")}
    proc = subprocess.Popen([sys.executable, "-m", "livecommerce", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--data-dir", str(data_dir), "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}", env


def test_two_workers_share_port_room_and_books(tmp_path: Path) -> None:
    proc, base, env = start_workers(tmp_path)
    port = int(base.rsplit(":", 1)[1])
    try:
        _wait_healthy(base, proc, {"0", "1"})
        kids = _children(proc.pid)
        assert sum("redis-server" in _cmdline(k) for k in kids) == 1, "one Redis, started by the parent"
        workers = [k for k in kids if "livecommerce" in _cmdline(k)]
        assert len(workers) == 2

        ops = _cli("token", "--role", "ops", data_dir=tmp_path).strip()
        assert (_call(base + "/api/v1/stores", ops, {
            "id": "S1", "name": "Jing'an", "city": "Shanghai", "lat": 31.23, "lng": 121.44}))[0] == 201
        assert (_call(base + "/api/v1/products", ops, {
            "sku": "SKU1", "name": "Silk scarf", "price_cents": 19900}))[0] == 201
        req = urllib.request.Request(base + "/api/v1/stores/S1/stock/SKU1", data=b'{"quantity": 50}', method="PUT",
                                     headers={"Authorization": f"Bearer {ops}", "Content-Type": "application/json"})
        urllib.request.urlopen(req, None, 10)
        status, room, _ = _call(base + "/api/v1/rooms", ops,
                                                  {"store_id": "S1", "title": "Live"})
        assert status == 201

        signer = TokenSigner(load_secret(tmp_path))  # the secret the supervisor generated for its workers
        viewer = [signer.mint(Role.VIEWER, f"v{i}", nickname=f"n{i}") for i in range(20)]
        got = asyncio.run(_chat_across_workers(port, room["id"], viewer))
        assert got["text"] == "hello from worker 1" and got["nickname"] == "n1"

        now = datetime.now(UTC)
        status, sale, _ = _call(base + "/api/v1/flash-sales", ops, {
            "sku": "SKU1", "price_cents": 9900, "starts_at": (now - timedelta(seconds=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "per_user_limit": 1, "payment_timeout_s": 300,
            "allocations": [{"store_id": "S1", "quantity": 12}]})
        assert status == 201
        answered: dict[str, int] = {}
        for i in range(20):
            status, _, worker = _call(
                f"{base}/api/v1/flash-sales/{sale['id']}/orders", viewer[i],
                {"quantity": 1, "fulfillment": {"type": "pickup", "store_id": "S1"}}, {"Idempotency-Key": f"k{i}"})
            answered[f"{status}@{worker}"] = answered.get(f"{status}@{worker}", 0) + 1
        assert sum(n for k, n in answered.items() if k.startswith("201")) == 12, answered
        assert sum(n for k, n in answered.items() if k.startswith("409")) == 8, answered
        assert {k.split("@")[1] for k in answered} == {"0", "1"}, f"both workers sold: {answered}"

        metrics = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
        assert 'worker="0"' in metrics and 'worker="1"' in metrics
        assert 'lc_workers_scraped{state="ok"} 2.0' in metrics

        verify = subprocess.run([sys.executable, "-m", "livecommerce", "verify", "--data-dir", str(tmp_path)],
                                capture_output=True, text=True, env=env, timeout=60)
        assert verify.returncode == 0, verify.stdout + verify.stderr

        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            now_workers = [k for k in _children(proc.pid) if "livecommerce" in _cmdline(k)]
            if len(now_workers) == 2 and workers[0] not in now_workers:
                break
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.2)
        _wait_healthy(base, proc, {"0", "1"})
        kids = _children(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(40)
    assert code == 0
    time.sleep(0.2)
    assert not [k for k in kids if Path(f"/proc/{k}").exists()], "no worker or Redis left behind"
