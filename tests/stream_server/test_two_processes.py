"""Two real ``livecommerce serve`` processes on one Redis and one database share a room: a chat
said on one reaches viewers on the other, and the viewer count adds up both."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import websockets

from livecommerce.web.auth import Role, TokenSigner
from tests.livecommerce.test_serve import _free_port

SECRET = "two-process-secret-0123456789abcdefgh"


def _start(port: int, data_dir: Path, redis_url: str, db_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LC_SECRET": SECRET, "REDIS_URL": redis_url, "DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "livecommerce", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--data-dir", str(data_dir)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def _post(url: str, token: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


async def _until(ws, kind: str, pred=lambda m: True) -> dict:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(10):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == kind and pred(msg):
                return msg


async def test_two_processes_share_one_room(redis_url: str, tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite'}"
    ports = [_free_port(), _free_port()]
    procs = [await asyncio.to_thread(_start, ports[0], tmp_path / "a", redis_url, db)]
    procs.append(await asyncio.to_thread(_start, ports[1], tmp_path / "b", redis_url, db))
    signer = TokenSigner(SECRET)
    try:
        ops = signer.mint(Role.OPS, "ops")
        a, b = (f"http://127.0.0.1:{p}" for p in ports)
        await asyncio.to_thread(_post, a + "/api/v1/stores", ops,
                                {"id": "S1", "name": "Jing'an", "city": "Shanghai", "lat": 31.23, "lng": 121.44})
        room = await asyncio.to_thread(_post, b + "/api/v1/rooms", ops, {"store_id": "S1", "title": "Live"})
        on_a = [await websockets.connect(f"ws://127.0.0.1:{ports[0]}/ws/rooms/{room['id']}?token="
                                         + signer.mint(Role.VIEWER, f"u_a{i}", nickname=f"a{i}")) for i in range(3)]
        on_b = [await websockets.connect(f"ws://127.0.0.1:{ports[1]}/ws/rooms/{room['id']}?token="
                                         + signer.mint(Role.VIEWER, f"u_b{i}", nickname=f"b{i}")) for i in range(2)]
        everyone = on_a + on_b
        counts = await asyncio.gather(*(_until(ws, "viewers", lambda m: m["count"] == 5) for ws in everyone))
        assert len(counts) == 5
        await on_b[0].send(json.dumps({"type": "chat", "text": "hello from B"}))
        chats = await asyncio.gather(*(_until(ws, "chat") for ws in everyone))
        assert {c["text"] for c in chats} == {"hello from B"} and {c["nickname"] for c in chats} == {"b0"}
        await on_a[1].send(json.dumps({"type": "like", "count": 7}))
        likes = await asyncio.gather(*(_until(ws, "likes", lambda m: m["count"] == 7) for ws in everyone))
        assert len(likes) == 5
        await asyncio.gather(*(ws.close() for ws in everyone))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)
