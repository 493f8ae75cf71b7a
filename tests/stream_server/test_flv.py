"""HTTP-FLV playback: a mid-stream join decodes video and audio at once (GOP cache), the response
ends with the room, a viewer that stops reading is cut while another continues, and rooms not
streaming are 404."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import av

from stream_server import StreamServer
from stream_server.config import resolve_ffmpeg
from tests.stream_server.media import FfmpegPublisher, wait_until


async def _probe(url: str, seconds: float = 1.5) -> str:
    """ffmpeg as an FLV client: decode ``seconds`` of both tracks; returns its stderr."""
    proc = await asyncio.create_subprocess_exec(
        resolve_ffmpeg(), "-hide_banner", "-nostdin", "-i", url, "-t", str(seconds),
        "-map", "0:v", "-map", "0:a", "-f", "null", "-",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    return err.decode(errors="replace")


def _first_frames(url: str) -> dict[str, float]:
    """PyAV as a live FLV client (probing 0.5 s at most: players do not wait): seconds from joining
    to the first decoded frame of each kind."""
    t0 = time.monotonic()
    firsts: dict[str, float] = {}
    with av.open(url, options={"analyzeduration": "500000"}, timeout=10) as container:
        for frame in container.decode(*container.streams):
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            firsts.setdefault(kind, time.monotonic() - t0)
            if len(firsts) == 2:
                break
    return firsts


async def _live(api: Any, rid: str) -> None:
    async def ready() -> bool:
        r = await api.client.get(f"/api/v1/rooms/{rid}")
        return (await r.json())["playback"]["flv"] is not None
    await wait_until(ready, within=10)


async def test_mid_stream_join_decodes_video_and_audio_within_2_s(api, room, server: StreamServer) -> None:
    rid = room["id"]
    pub = await FfmpegPublisher(room["whip_url"], room["stream_key"], seconds=20).start()
    try:
        await _live(api, rid)
        await wait_until(lambda: asyncio.sleep(0, server.live_rooms()[rid].flv.ready), within=10)
        await asyncio.sleep(1.5)  # join mid-GOP, well after the room started
        url = str(api.client.make_url(f"/live/{rid}.flv"))
        firsts = await asyncio.to_thread(_first_frames, url)
        assert set(firsts) == {"video", "audio"} and max(firsts.values()) < 2.0, firsts
        err = await _probe(url)  # the ffprobe-style check: both tracks decode with ffmpeg too
        assert "Video: h264" in err and "Audio: aac" in err, err
        assert "frame=" in err and "frame=    0" not in err, err

        r = await api.client.get(f"/live/{rid}.flv")
        assert r.headers["Content-Type"] == "video/x-flv"
        assert r.headers["Access-Control-Allow-Origin"] == "*" and r.headers["Cache-Control"] == "no-cache"
        assert (await r.content.readexactly(3)) == b"FLV"
        metrics = await (await api.client.get("/metrics")).text()
        assert f'lc_stream_flv_viewers{{room="{rid}"}} 1.0' in metrics
        end = await api.client.post(f"/api/v1/rooms/{rid}/end", headers=api.host_s1)
        assert end.status == 200, await end.text()
        await asyncio.wait_for(r.read(), 10)  # the room ended: the response ends cleanly
        assert (await api.client.get(f"/live/{rid}.flv")).status == 404
    finally:
        await pub.kill()


async def test_a_viewer_that_stops_reading_is_dropped_while_another_continues(api, room, server) -> None:  # type: ignore[no-untyped-def]
    rid = room["id"]
    pub = await FfmpegPublisher(room["whip_url"], room["stream_key"], seconds=20).start()
    stalled = socket.socket()
    try:
        await _live(api, rid)
        await wait_until(lambda: asyncio.sleep(0, server.live_rooms()[rid].flv.ready), within=10)
        flv = server.live_rooms()[rid].flv
        flv.max_pending = 16 * 1024  # a small bound (and small kernel buffers) keep the test short
        reading = await api.client.get(f"/live/{rid}.flv")
        # a raw client that sends its request and never reads
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect((api.client.host, api.client.port))
        stalled.sendall(f"GET /live/{rid}.flv HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        await wait_until(lambda: asyncio.sleep(0, len(flv.viewers) == 2), within=5, interval=0.01)
        for viewer in flv.viewers:
            sock = viewer.transport.get_extra_info("socket")
            if sock.getpeername()[1] == stalled.getsockname()[1]:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)

        async def read_until_drop() -> bool:
            await reading.content.read(65536)
            return flv.dropped >= 1
        await wait_until(read_until_drop, within=20, interval=0)
        assert len(flv.viewers) == 1
        got = 0
        t0 = time.monotonic()
        while got < 20_000 and time.monotonic() - t0 < 5:
            got += len(await reading.content.read(65536))
        assert got >= 20_000  # the other viewer still streams
        metrics = await (await api.client.get("/metrics")).text()
        assert f'lc_stream_flv_dropped_total{{room="{rid}"}} 1.0' in metrics
        server.end_flv_viewers()  # what the app's on_shutdown does: open responses end at once
        await asyncio.wait_for(reading.read(), 5)
    finally:
        stalled.close()
        await pub.kill()


async def test_unknown_and_ended_rooms_are_404(api, room) -> None:  # type: ignore[no-untyped-def]
    assert (await api.client.get("/live/nope.flv")).status == 404
    assert (await api.client.get(f"/live/{room['id']}.flv")).status == 404  # created, not live
    assert (await api.client.get("/live/bad.id.flv")).status == 404
