"""RTMP ingest: ffmpeg publishes over RTMP into a room (HLS and HTTP-FLV play it), a wrong key is
refused. The listener runs on an ephemeral port here (``StreamServer.start`` opens ``LC_RTMP_PORT``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from stream_server import StreamServer
from stream_server.config import resolve_ffmpeg
from stream_server.rtmp_server import RtmpServer, parse_stream_name
from tests.stream_server.media import wait_until
from tests.stream_server.test_flv import _first_frames, _probe


@pytest.fixture
async def rtmp(server: StreamServer) -> AsyncIterator[RtmpServer]:
    listener = RtmpServer(server, "127.0.0.1", 0)
    await listener.start()
    yield listener
    await listener.stop()


async def _publish(url: str, seconds: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "15", "-bf", "0",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", url,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


def test_stream_names() -> None:
    assert parse_stream_name("r1?key=abc") == ("r1", "abc")
    assert parse_stream_name("r1") == ("r1", None)


async def test_ffmpeg_publishes_over_rtmp(api, room: dict[str, Any], server: StreamServer, rtmp: RtmpServer) -> None:
    rid = room["id"]
    pub = await _publish(f"rtmp://127.0.0.1:{rtmp.port}/live/{rid}?key={room['stream_key']}", 20)
    try:
        async def live() -> bool:
            r = await api.client.get(f"/api/v1/rooms/{rid}")
            return (await r.json())["status"] == "live"
        await wait_until(live, within=15)
        await wait_until(lambda: asyncio.sleep(0, rid in server.live_rooms() and server.live_rooms()[rid].flv.ready),
                         within=10)
        await asyncio.sleep(1.0)
        url = str(api.client.make_url(f"/live/{rid}.flv"))
        firsts = await asyncio.to_thread(_first_frames, url)
        assert set(firsts) == {"video", "audio"} and max(firsts.values()) < 2.0, firsts
        err = await _probe(url, 1.0)  # an ffmpeg FLV client: H.264 + AAC, frames decoded
        assert "Video: h264" in err and "Audio: aac" in err and "frame=    0" not in err, err

        async def segments() -> bool:
            r = await api.client.get(f"/live/{rid}/index.m3u8")
            return r.status == 200 and ".ts" in await r.text()
        await wait_until(segments, within=10)
    finally:
        if pub.returncode is None:
            pub.kill()
        await pub.wait()

    async def ended() -> bool:
        r = await api.client.get(f"/api/v1/rooms/{rid}")
        return (await r.json())["status"] == "ended"
    await wait_until(ended, within=15)  # the publisher left: the room ends as with WHIP


@pytest.mark.parametrize("query", ["?key=wrong", ""])
async def test_a_wrong_or_missing_key_is_refused(api, room: dict[str, Any], server: StreamServer, rtmp: RtmpServer,
                                                 query: str) -> None:
    pub = await _publish(f"rtmp://127.0.0.1:{rtmp.port}/live/{room['id']}{query}", 10)
    await asyncio.wait_for(pub.wait(), 15)
    assert pub.returncode != 0
    r = await api.client.get(f"/api/v1/rooms/{room['id']}")
    assert (await r.json())["status"] == "created" and not server.live_rooms()
