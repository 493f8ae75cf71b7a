"""The room's websocket with hundreds of real clients (the `websockets` package), against a
real Redis: fan-out, a client that never reads, junk input, moderation, likes, viewers, and
two servers sharing one room."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis
import websockets
from aiohttp import web
from aiohttp.test_utils import TestServer

from livecommerce.redis_client import connect_redis
from livecommerce.web import TokenSigner, error_middleware
from livecommerce.web.auth import SIGNER, Role
from stream_server.realtime import REALTIME, ROOM_DIRECTORY, RoomHub, RoomInfo
from stream_server.realtime import routes as realtime_routes
from stream_server.realtime.types import Limits

SECRET = "realtime-test-secret-0123456789abcdef"


class Rooms:
    async def get_room(self, room_id: str) -> RoomInfo | None:
        return RoomInfo(room_id, "S1", "live") if room_id.startswith("r") else None


@dataclass
class Server:
    base: str
    hub: RoomHub
    signer: TokenSigner

    def url(self, room: str, token: str) -> str:
        return f"{self.base}/ws/rooms/{room}?token={token}"

    def viewer(self, name: str) -> str:
        return self.signer.mint(Role.VIEWER, f"u_{name}", nickname=name)

    def host(self) -> str:
        return self.signer.mint(Role.HOST, "alice", store_id="S1", nickname="Alice")


async def _server(redis_url: str, limits: Limits) -> tuple[TestServer, aioredis.Redis, RoomHub]:
    client = connect_redis(redis_url)
    hub = RoomHub(client, None, limits)
    app = web.Application(middlewares=[error_middleware])
    app[SIGNER] = TokenSigner(SECRET)
    app[REALTIME] = hub
    app[ROOM_DIRECTORY] = Rooms()
    app.add_routes(realtime_routes)
    server = TestServer(app)
    await server.start_server()
    await hub.start()
    return server, client, hub


@pytest.fixture
async def servers(redis_url: str) -> AsyncIterator[list[Server]]:
    made = []
    limits = Limits(outbound_buffer=64 * 1024, chat_per_10s=5, viewers_interval_s=0.2)
    for _ in range(2):
        made.append(await _server(redis_url, limits))
    yield [Server(f"ws://127.0.0.1:{s.port}", hub, TokenSigner(SECRET)) for s, _, hub in made]
    for server, client, hub in made:
        await hub.stop()
        await server.close()
        await client.aclose()


async def _recv_until(ws, kind: str, pred=lambda m: True, within: float = 5.0) -> dict:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(within):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == kind and pred(msg):
                return msg


async def test_hundreds_of_clients_receive_pin_and_chat(servers: list[Server]) -> None:
    srv = servers[0]
    clients = await asyncio.gather(*(websockets.connect(srv.url("r1", srv.viewer(f"v{i}"))) for i in range(300)))
    try:
        counts = await asyncio.gather(*(_recv_until(c, "viewers", lambda m: m["count"] == 300) for c in clients))
        assert len(counts) == 300
        await srv.hub.set_pin("r1", {"sku": "SKU1", "name": "Silk scarf"}, {"id": "abc123def456"})
        pins = await asyncio.gather(*(_recv_until(c, "pin") for c in clients))
        assert all(p["product"]["sku"] == "SKU1" and p["flash_sale"]["id"] == "abc123def456" for p in pins)
        await clients[7].send(json.dumps({"type": "chat", "text": "这条围巾好看!"}))
        chats = await asyncio.gather(*(_recv_until(c, "chat") for c in clients))
        assert {c["text"] for c in chats} == {"这条围巾好看!"} and chats[0]["nickname"] == "v7"
    finally:
        await asyncio.gather(*(c.close() for c in clients))


async def _raw_ws_that_never_reads(base: str, path: str) -> socket.socket:
    """A websocket client that completes the handshake and then never reads a byte."""
    loop = asyncio.get_running_loop()
    host, port = base.removeprefix("ws://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, (host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(sock, (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                                   "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    assert b" 101 " in await loop.sock_recv(sock, 200)
    return sock


async def test_a_client_that_never_reads_is_dropped_and_does_not_slow_the_room(servers: list[Server]) -> None:
    srv = servers[0]
    stalled = await _raw_ws_that_never_reads(srv.base, f"/ws/rooms/r2?token={srv.viewer('sloth')}")
    readers = [await websockets.connect(srv.url("r2", srv.viewer(f"fast{i}"))) for i in range(5)]
    try:
        await asyncio.sleep(0.3)
        assert srv.hub.local_viewers("r2") == 6
        text = "x" * 2000  # 6 MB in all: more than the kernel buffers a stalled socket can absorb
        async def flood() -> None:
            for i in range(3000):
                await srv.hub.publish("r2", "chat", id=str(i), user="bot", nickname="bot", text=text, ts=0)
        got = [0] * len(readers)

        async def read(n: int) -> None:
            while got[n] < 3000:
                msg = json.loads(await readers[n].recv())
                if msg["type"] == "chat":
                    got[n] += 1
        async with asyncio.timeout(20):
            await asyncio.gather(flood(), *(read(n) for n in range(len(readers))))
        assert got == [3000] * len(readers), "readers received every message"
        assert srv.hub.local_viewers("r2") == 5, "the stalled client was dropped"
    finally:
        stalled.close()
        await asyncio.gather(*(r.close() for r in readers))


async def test_junk_and_oversized_messages_get_errors_and_the_connection_carries_on(servers: list[Server]) -> None:
    srv = servers[0]
    async with websockets.connect(srv.url("r3", srv.viewer("mallory"))) as ws:
        for junk, code in [("not json", "invalid_request"), ('{"type":"chat"}', "invalid_request"),
                           ('{"type":"chat","text":""}', "invalid_request"),
                           ('{"type":"chat","text":"' + "x" * 201 + '"}', "invalid_request"),
                           ('{"type":"like","count":10000}', "invalid_request"),
                           ('{"type":"nuke"}', "invalid_request"), ("[1,2]", "invalid_request"),
                           ('{"type":"chat","text":"' + "y" * 5000 + '"}', "payload_too_large"),
                           ('{"type":"mute","user_id":"u_x"}', "forbidden")]:
            await ws.send(junk)
            err = await _recv_until(ws, "error")
            assert err["code"] == code, (junk[:40], err)
        await ws.send(b"\x00\x01binary")
        assert (await _recv_until(ws, "error"))["code"] == "invalid_request"
        await ws.send(json.dumps({"type": "chat", "text": "still here 加我微信"}))
        chat = await _recv_until(ws, "chat")
        assert chat["text"].startswith("still here") and "微信" not in chat["text"], "banned words masked"


async def test_chat_flood_is_rate_limited_and_host_can_mute_and_delete(servers: list[Server]) -> None:
    srv = servers[0]
    async with websockets.connect(srv.url("r4", srv.viewer("spammer"))) as spam, \
            websockets.connect(srv.url("r4", srv.host())) as host:
        for i in range(8):
            await spam.send(json.dumps({"type": "chat", "text": f"buy buy {i}"}))
        assert (await _recv_until(spam, "error"))["code"] == "rate_limited"
        await host.send(json.dumps({"type": "mute", "user_id": "u_spammer"}))
        await _recv_until(host, "moderation")
        srv.hub.guard._recent.clear()  # noqa: SLF001 - lift the flood limit to see the mute alone
        await spam.send(json.dumps({"type": "chat", "text": "hello?"}))
        assert await _recv_until(spam, "error", lambda m: m["code"] == "muted")
        await host.send(json.dumps({"type": "delete", "message_id": "abc-1"}))
        assert (await _recv_until(spam, "delete"))["message_id"] == "abc-1"


async def test_likes_are_aggregated(servers: list[Server]) -> None:
    srv = servers[0]
    async with websockets.connect(srv.url("r5", srv.viewer("a"))) as a, \
            websockets.connect(srv.url("r5", srv.viewer("b"))) as b:
        for _ in range(50):
            await a.send('{"type":"like"}')
            await b.send('{"type":"like","count":3}')
        seen = []
        async with asyncio.timeout(5):
            while not seen or seen[-1] < 200:
                msg = json.loads(await a.recv())
                if msg["type"] == "likes":
                    seen.append(msg["count"])
        assert seen[-1] == 200
        assert len(seen) <= 8, f"likes are coalesced, not one message per tap: {seen}"


async def test_two_servers_share_one_room(servers: list[Server]) -> None:
    one, two = servers
    a = [await websockets.connect(one.url("r6", one.viewer(f"a{i}"))) for i in range(20)]
    b = [await websockets.connect(two.url("r6", two.viewer(f"b{i}"))) for i in range(30)]
    try:
        counts = await asyncio.gather(*(_recv_until(c, "viewers", lambda m: m["count"] == 50) for c in a + b))
        assert len(counts) == 50, "the count is the live number of connections on both servers"
        await b[0].send(json.dumps({"type": "chat", "text": "from server two"}))
        got = await asyncio.gather(*(_recv_until(c, "chat") for c in a + b))
        assert {m["text"] for m in got} == {"from server two"}
        assert await one.hub.viewers("r6") == 50
    finally:
        await asyncio.gather(*(c.close() for c in a + b))


async def test_auth_and_unknown_room(servers: list[Server]) -> None:
    srv = servers[0]
    for url, status in [(f"{srv.base}/ws/rooms/r1", 401), (srv.url("r1", "garbage"), 401),
                        (srv.url("nope", srv.viewer("v")), 404), (srv.url("..%2fx", srv.viewer("v")), 404)]:
        with pytest.raises(websockets.InvalidStatus) as info:
            await websockets.connect(url)
        assert info.value.response.status_code == status
