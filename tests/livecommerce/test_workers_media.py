"""``serve --workers 2`` with a live room: whichever worker a viewer's connection lands on, the
HLS playlist and segments, HTTP-FLV, WHEP and the WHIP DELETE work (the worker without the room
proxies to the one that runs it), and ending the room from the other worker ends it."""

from __future__ import annotations

import asyncio
import io
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import av

from tests.livecommerce.test_serve import _cli
from tests.livecommerce.test_workers import _call, _wait_healthy, start_workers
from tests.stream_server.media import (
    AiortcPublisher,
    FfmpegPublisher,
    WhepViewer,
    decode_segment,
    pinned_session,
    wait_until,
)

REQUESTS = 24


async def _fresh(base: str, path: str) -> tuple[int, bytes, dict[str, str]]:
    """One request on a new connection (SO_REUSEPORT picks the worker per connection)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
        async with s.get(base + path, timeout=aiohttp.ClientTimeout(total=10)) as r:
            return r.status, await r.read(), dict(r.headers)


async def _owner(base: str, room_id: str) -> str:
    """The worker that runs the room: it answers its playlist without proxying."""
    async def direct() -> str | None:
        status, body, headers = await _fresh(base, f"/live/{room_id}/index.m3u8")
        return headers["X-LC-Worker"] if status == 200 and b".ts" in body and "X-LC-Proxied" not in headers else None

    return str(await wait_until(direct, within=20, interval=0.05))


async def _read_flv(session: aiohttp.ClientSession, url: str, seconds: float) -> tuple[bytes, dict[str, str]]:
    data = bytearray()
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=15)) as r:
        assert r.status == 200, await r.text()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data += await asyncio.wait_for(r.content.readany(), 5)
        return bytes(data), dict(r.headers)


def _flv_frames(data: bytes) -> int:
    frames = 0
    with av.open(io.BytesIO(data), format="flv") as c:
        try:
            for _ in c.decode(video=0):
                frames += 1
        except av.error.InvalidDataError:
            pass  # the stream was cut mid-tag
    return frames


async def _metric(base: str, needle: str) -> float:
    async with aiohttp.ClientSession() as s, s.get(base + "/metrics") as r:
        text = await r.text()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(needle))


async def _media_from_either_worker(base: str, ops: str, rooms: list[dict[str, Any]]) -> None:
    room, other = rooms
    rid = room["id"]
    publisher = await FfmpegPublisher(f"{base}/whip/{rid}", room["stream_key"], seconds=40).start()
    try:
        owner = await _owner(base, rid)
        proxy = "1" if owner == "0" else "0"
        seen: dict[tuple[str, bool], int] = {}
        for _ in range(REQUESTS):
            status, playlist, headers = await _fresh(base, f"/live/{rid}/index.m3u8")
            assert status == 200 and playlist.startswith(b"#EXTM3U"), (status, playlist[:200])
            assert headers["Cache-Control"] == "no-cache"
            key = (headers["X-LC-Worker"], "X-LC-Proxied" in headers)
            seen[key] = seen.get(key, 0) + 1
            newest = [ln for ln in playlist.decode().splitlines() if ln.endswith(".ts")][-1]
            status, segment, headers = await _fresh(base, f"/live/{rid}/{newest}")
            assert status == 200 and headers["Content-Type"] == "video/mp2t", status
            decoded = decode_segment(segment)
            assert decoded["video"] > 0 and decoded["size"] == (320, 240), decoded
            assert int(headers["Content-Length"]) == len(segment)
        assert {(owner, False), (proxy, True)} <= set(seen), f"both workers answered: {seen}"
        assert (owner, True) not in seen, "the owner serves its room itself"

        viewer_side = await pinned_session(base, proxy)
        try:
            data, headers = await _read_flv(viewer_side, f"{base}/live/{rid}.flv", 2.5)
            assert headers["X-LC-Worker"] == proxy and headers["X-LC-Proxied"] == "1"
            assert headers["Content-Type"] == "video/x-flv"
            assert _flv_frames(data) >= 10, "HTTP-FLV through the other worker decodes"
        finally:
            await viewer_side.close()
        flv_viewers = f'lc_stream_flv_viewers{{room="{rid}"'
        await wait_until(lambda: _is_zero(_metric(base, flv_viewers)), within=10)

        viewer_side = await pinned_session(base, proxy)
        whep = WhepViewer(f"{base}/whep/{rid}")
        try:
            await whep.start(viewer_side)
            assert whep.location is not None and whep.location.startswith(f"{base}/whep/{rid}/")
            await wait_until(lambda: _true(whep.frames["video"] >= 10), within=15)
            assert whep.size == (320, 240)
            async with viewer_side.delete(whep.location) as r:
                assert r.status == 200 and r.headers["X-LC-Proxied"] == owner
        finally:
            await whep.close()
            await viewer_side.close()
        assert await _metric(base, 'lc_stream_proxied_requests_total{kind="segment"') > 0

        via = await pinned_session(base, proxy)
        try:
            async with via.post(f"{base}/api/v1/rooms/{rid}/end", headers={"Authorization": f"Bearer {ops}"}) as r:
                assert r.status == 200 and (await r.json())["status"] == "ended", await r.text()
        finally:
            await via.close()

        async def gone() -> bool:  # the owner notices at its next lease renewal and stops the room
            codes = [(await _fresh(base, f"/live/{rid}.flv"))[0] for _ in range(4)]
            assert set(codes) <= {200, 404}, codes
            return codes == [404] * 4

        await wait_until(gone, within=10)
    finally:
        await publisher.kill()
    await _whip_delete_through_other(base, other)


async def _is_zero(value: Any) -> bool:
    return await value == 0


async def _true(value: bool) -> bool:
    return value


async def _whip_delete_through_other(base: str, room: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        publisher = await AiortcPublisher(f"{base}/whip/{room['id']}", room["stream_key"]).start(http)
    try:
        owner = await _owner(base, room["id"])
        via = await pinned_session(base, "1" if owner == "0" else "0")
        try:
            assert publisher.location is not None
            async with via.delete(publisher.location) as r:
                assert r.status == 200 and "X-LC-Proxied" in r.headers, r.status
        finally:
            await via.close()
        status, got, _ = await _fresh(base, f"/api/v1/rooms/{room['id']}")
        assert status == 200 and b'"status":"ended"' in got.replace(b" ", b""), got
    finally:
        await publisher.close()


def test_live_media_from_either_worker(tmp_path: Path) -> None:
    proc, base, _ = start_workers(tmp_path)
    try:
        _wait_healthy(base, proc, {"0", "1"})
        run = tmp_path / "run"
        assert run.stat().st_mode & 0o777 == 0o700
        assert all(s.stat().st_mode & 0o777 == 0o600 for s in run.glob("worker-*.http.sock"))
        ops = _cli("token", "--role", "ops", data_dir=tmp_path).strip()
        assert _call(base + "/api/v1/stores", ops, {
            "id": "S1", "name": "Jing'an", "city": "Shanghai", "lat": 31.23, "lng": 121.44})[0] == 201
        rooms = [_call(base + "/api/v1/rooms", ops, {"store_id": "S1", "title": t})[1] for t in ("A", "B")]
        asyncio.run(asyncio.wait_for(_media_from_either_worker(base, ops, rooms), 60))
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
