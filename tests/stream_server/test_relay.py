"""The relay's edges, in process: a room live in another process is proxied to the owner recorded
with its lease (end-to-end headers only, loop marker, streaming closed when the viewer goes); an
unreachable owner answers 503 and changes nothing; an owner whose lease is gone is not proxied to;
the hop rules between replicas and workers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from stream_server import StreamServer
from stream_server.relay import MediaRelay
from stream_server.segment_cache import CachedAnswer, SegmentCache
from tests.conftest import _api

SELF = "http://127.0.0.1:9"
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@pytest.fixture
async def api(redis_url: str, sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The whole app with an internal address: it relays (as a worker or replica would)."""
    async for a in _api(redis_url, sqlite_url, tmp_path, extra={"stream_internal_url": SELF}):
        yield a


def _video_tag(keyframe: bool, size: int = 4000) -> bytes:
    """One FLV video tag (AVC NALU) with its trailing previous-tag size."""
    body = bytes([0x17 if keyframe else 0x27, 1, 0, 0, 0]) + b"\0" * (size - 5)
    tag = bytes([9]) + len(body).to_bytes(3, "big") + b"\0" * 7 + body
    return tag + len(tag).to_bytes(4, "big")


class _Owner:
    """A stand-in owner process on a unix socket that records what reached it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: list[dict[str, str]] = []
        self.flv_gone = asyncio.Event()
        self.flv_streams = 0
        self._runner: web.AppRunner | None = None

    async def playlist(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        return web.Response(body=b"#EXTM3U\n", headers={
            "Content-Type": "application/vnd.apple.mpegurl", "Cache-Control": "no-cache",
            "Connection": "keep-alive, X-Private", "X-Private": "owner-only", "X-LC-Worker": "7"})

    async def segment(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        return web.Response(body=b"G" * 1000, headers={"Content-Type": "video/mp2t"})

    async def flv(self, request: web.Request) -> web.StreamResponse:
        self.flv_streams += 1
        resp = web.StreamResponse(headers={"Content-Type": "video/x-flv"})
        await resp.prepare(request)
        try:
            await resp.write(b"FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00")
            for n in range(1_000_000):
                await resp.write(_video_tag(keyframe=n % 15 == 0))
                await asyncio.sleep(0.01)
        except (ConnectionError, RuntimeError):
            self.flv_gone.set()
        return resp

    async def __aenter__(self) -> _Owner:
        app = web.Application()
        app.router.add_get("/live/{room}/index.m3u8", self.playlist)
        app.router.add_get("/live/{room}.flv", self.flv)
        app.router.add_get("/live/{room}/{name:r.+}", self.segment)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.UnixSite(self._runner, str(self.path)).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def test_a_room_live_elsewhere_is_proxied_to_its_owner(api: Any, room: dict, server: StreamServer,
                                                              tmp_path: Path) -> None:
    rid = room["id"]
    async with _Owner(tmp_path / "owner.sock") as owner:
        await server.rooms.claim(rid, "sess-elsewhere", f"unix:{owner.path}")
        r = await api.client.get(f"/live/{rid}/index.m3u8", headers={"Keep-Alive": "timeout=5", "X-Trace": "t1"})
        assert r.status == 200 and await r.read() == b"#EXTM3U\n"
        assert r.headers["Cache-Control"] == "no-cache" and r.headers["X-LC-Proxied"] == "7"
        assert "X-Private" not in r.headers, "a header the owner's Connection lists stays between the two"
        sent = owner.seen[-1]
        assert sent["X-LC-Relayed"] == "worker" and sent["X-Trace"] == "t1" and "Keep-Alive" not in sent
        assert sent["Host"] == f"127.0.0.1:{api.client.port}", "the owner builds public URLs from the viewer's host"

        r = await api.client.get(f"/live/{rid}/index.m3u8", headers={"X-LC-Relayed": "worker"})
        assert r.status == 404 and len(owner.seen) == 1, "a relayed request is never relayed again"

        got = await asyncio.gather(*(api.client.get(f"/live/{rid}/r0_7.ts") for _ in range(5)))
        assert [(r.status, await r.read()) for r in got] == [(200, b"G" * 1000)] * 5
        assert all(r.headers["Content-Type"] == "video/mp2t" for r in got)
        assert len(owner.seen) == 2, "a segment is fetched from its owner once, however many ask at once"

        viewers = await asyncio.gather(*(api.client.get(f"/live/{rid}.flv") for _ in range(3)))
        for r in viewers:
            assert r.status == 200 and r.headers["X-LC-Proxied"] == "1"
            head = await r.content.readexactly(13 + 4015)
            assert head.startswith(b"FLV") and head[13 + 11] == 0x17, "a viewer starts at a keyframe"
        assert owner.flv_streams == 1, "the viewers of a room on this worker share one upstream"
        for r in viewers:
            r.close()  # the viewers go: the relay closes its upstream, the owner's writes fail
        await asyncio.wait_for(owner.flv_gone.wait(), 10)


async def test_owner_unreachable_is_503_and_changes_nothing(api: Any, room: dict, server: StreamServer,
                                                             tmp_path: Path) -> None:
    rid = room["id"]
    await server.rooms.claim(rid, "sess-elsewhere", f"unix:{tmp_path / 'nobody.sock'}")
    for method, path, kwargs in [
        ("GET", f"/live/{rid}/index.m3u8", {}), ("GET", f"/live/{rid}/r0_1.ts", {}),
        ("GET", f"/live/{rid}/cover.jpg", {}), ("GET", f"/live/{rid}.flv", {}),
        ("POST", f"/whep/{rid}", {"data": SDP, "headers": {"Content-Type": "application/sdp"}}),
        ("DELETE", f"/whep/{rid}/viewer-0123456789", {}), ("DELETE", f"/whip/{rid}/sess-elsewhere", {}),
    ]:
        r = await api.client.request(method, path, **kwargs)
        assert r.status == 503, (method, path, r.status)
        assert (await r.json())["error"]["code"] == "unavailable"
    assert (await server.rooms.get(rid)).status.value == "live"
    r = await api.client.post(f"/whep/{rid}", data="not sdp", headers={"Content-Type": "application/sdp"})
    assert r.status == 422, "the offer is checked here before anything is proxied"


async def test_an_owner_whose_lease_is_gone_is_not_proxied_to(api: Any, room: dict, server: StreamServer,
                                                              redis_client: Any, tmp_path: Path) -> None:
    rid = room["id"]
    await server.rooms.claim(rid, "sess-elsewhere", f"unix:{tmp_path / 'nobody.sock'}")
    await redis_client.delete(f"lc:room:{{{rid}}}:lease")  # its process died: the lease expired
    assert (await api.client.get(f"/live/{rid}/index.m3u8")).status == 404
    assert (await api.client.get(f"/live/{rid}.flv")).status == 404
    r = await api.client.post(f"/whep/{rid}", data=SDP, headers={"Content-Type": "application/sdp"})
    assert r.status == 409 and (await r.json())["error"]["code"] == "ended"


class _Rooms:
    def __init__(self, owner: str | None) -> None:
        self._owner = owner

    async def owner(self, room_id: str) -> str | None:
        return self._owner


@pytest.mark.parametrize(("mine", "theirs", "hop", "target"), [
    ("unix:/r/w0", "unix:/r/w1", None, "unix:/r/w1"),                       # workers of one serve
    ("unix:/r/w0", "unix:/r/w0", None, None),                               # (a stale record of) this one
    ("unix:/r/w0", "unix:/r/w1", "worker", None),                           # never a second hop
    ("http://a:8080", "http://b:8080", None, "http://b:8080"),              # replicas
    ("http://a:8080", "http://b:8080", "replica", None),
    ("http://a:8080 unix:/r/w0", "http://b:8080 unix:/r/w1", None, "http://b:8080"),  # to the replica...
    ("http://b:8080 unix:/r/w0", "http://b:8080 unix:/r/w1", "replica", "unix:/r/w1"),  # ...then its worker
    ("http://b:8080 unix:/r/w0", "http://b:8080 unix:/r/w1", "worker", None),
    ("unix:/r/w0", None, None, None),                                       # not live anywhere
])
async def test_hops(mine: str, theirs: str | None, hop: str | None, target: str | None) -> None:
    relay = MediaRelay(_Rooms(theirs), mine)  # type: ignore[arg-type]
    request = make_mocked_request("GET", "/live/r1/index.m3u8", headers={"X-LC-Relayed": hop} if hop else {})
    assert await relay.owner(request, "r1") == target


async def test_segment_cache_bounds_and_expiry() -> None:
    cache = SegmentCache(max_bytes=4000, ttl_s=0.2)
    calls: list[str] = []

    def fetcher(key: str, status: int = 200, size: int = 1000):  # type: ignore[no-untyped-def]
        async def fetch() -> CachedAnswer:
            calls.append(key)
            await asyncio.sleep(0.01)
            return CachedAnswer(status, {}, b"x" * size)
        return fetch

    assert (await cache.get("a", fetcher("a", 404))).status == 404
    await cache.get("a", fetcher("a"))
    assert calls == ["a", "a"], "an error answer is not kept"
    await cache.get("a", fetcher("a"))
    await cache.get("big", fetcher("big", size=2000))
    await cache.get("big", fetcher("big", size=2000))
    assert calls == ["a", "a", "big", "big"], "an entry over a quarter of the budget is not kept"
    for k in "bcde":
        await cache.get(k, fetcher(k))
    await cache.get("a", fetcher("a"))
    assert calls[-1] == "a", "the oldest entry made room (4000 bytes hold 4 segments)"
    await asyncio.sleep(0.25)
    await cache.get("e", fetcher("e"))
    assert calls[-1] == "e", "entries expire"

    async def failing() -> CachedAnswer:
        await asyncio.sleep(0.01)
        raise OSError("owner gone")

    results = await asyncio.gather(cache.get("f", failing), cache.get("f", failing), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results), "waiters of a failed fetch get its error"
