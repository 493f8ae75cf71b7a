"""WHIP ingest with real publishers: ffmpeg's ``-f whip`` muxer (H.264 + Opus) and aiortc like a
browser (H.264 or VP8 + Opus). What comes out of HLS must decode, with video and audio."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from stream_server import StreamServer
from stream_server.playlist import parse_segments
from tests.stream_server.media import AiortcPublisher, FfmpegPublisher, decode_segment, wait_until


async def _room(api, room_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return await (await api.client.get(f"/api/v1/rooms/{room_id}")).json()


async def _live_segments(api, room_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    r = await api.client.get(f"/live/{room_id}/index.m3u8")
    return [s.uri for s in parse_segments(await r.text())] if r.status == 200 else []


async def test_ffmpeg_publish_hls_cover_metrics_then_complete_replay(api, room, server: StreamServer) -> None:
    rid = room["id"]
    started = time.monotonic()
    pub = await FfmpegPublisher(room["whip_url"], room["stream_key"], seconds=4).start()
    first = await wait_until(lambda: _live_segments(api, rid), within=10, interval=0.05)
    assert time.monotonic() - started < 6.0  # publish to first segment: 1.4 s measured, slack for CI load
    live = await _room(api, rid)
    assert live["status"] == "live"
    # ffmpeg never answers ICE consent checks: left running, they would cut it after ~30 s
    ice = server.live_rooms()[rid].ingest._pc.getTransceivers()[0].receiver.transport.transport  # type: ignore[union-attr]
    assert ice._connection._query_consent_task.cancelled()
    assert live["playback"]["hls"] == str(api.client.make_url(f"/live/{rid}/index.m3u8"))
    r = await api.client.get(f"/live/{rid}/{first[0]}")
    assert r.headers["Content-Type"] == "video/mp2t"
    seg = decode_segment(await r.read())
    assert seg["codecs"] == {"video": "h264", "audio": "aac"} and seg["size"] == (320, 240)
    assert seg["video"] >= 10 and seg["audio"] >= 30
    await wait_until(lambda: _metric(api, f'lc_stream_ingest_fps{{room="{rid}"}}'), within=5)
    assert 8 <= await _metric(api, f'lc_stream_ingest_fps{{room="{rid}"}}') <= 20
    assert await _metric(api, f'lc_stream_ingest_bitrate_bps{{room="{rid}"}}') > 10_000
    assert await _metric(api, f'lc_stream_packaging_delay_seconds{{room="{rid}"}}') < 1.5
    assert await _metric(api, f'lc_stream_hls_viewers{{room="{rid}"}}') > 0

    await asyncio.wait_for(pub.proc.wait(), 15)  # type: ignore[union-attr]  # -t 4: ffmpeg ends and DELETEs
    ended = await wait_until(lambda: _ended_with_replay(api, rid), within=10)
    assert ended["playback"]["hls"] is None
    cover = await api.client.get(f"/live/{rid}/cover.jpg")
    assert cover.status == 200 and (await cover.read())[:2] == b"\xff\xd8"
    assert ended["cover"] is not None

    r = await api.client.get(f"/live/{rid}/replay.m3u8")
    text = await r.text()
    assert r.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    segments = parse_segments(text)
    assert 3.5 <= sum(s.duration for s in segments) <= 4.6
    frames = 0
    for s in segments:
        decoded = decode_segment(await (await api.client.get(f"/live/{rid}/{s.uri}")).read())
        assert decoded["audio"] > 0
        frames += decoded["video"]
    assert frames >= 4 * 15 - 4
    assert (await (await api.client.get(f"/live/{rid}/index.m3u8")).text()).rstrip().endswith("#EXT-X-ENDLIST")
    assert (Path(server.config.media_dir) / rid / "replay.m3u8").read_bytes() == text.encode()


async def test_aiortc_h264_passes_through_and_vp8_is_encoded_once(api, room, server: StreamServer, http) -> None:
    rid = room["id"]
    pub = await AiortcPublisher(room["whip_url"], room["stream_key"], "H264").start(http)
    first = await wait_until(lambda: _live_segments(api, rid), within=10, interval=0.05)
    live = server.live_rooms()[rid]
    assert [(t.kind, t.codec) for t in live.ingest.tracks] == [("video", "H264"), ("audio", "opus")]
    assert _video_codec_arg(live.packager.pid) == "copy"  # type: ignore[union-attr]
    seg = decode_segment(await (await api.client.get(f"/live/{rid}/{first[0]}")).read())
    assert seg["codecs"] == {"video": "h264", "audio": "aac"} and seg["video"] > 5
    await pub.close()
    await wait_until(lambda: _ended(api, rid), within=5)

    r = await api.client.post("/api/v1/rooms", json={"store_id": "S1", "title": "vp8"}, headers=api.host_s1)
    vp8_room = await r.json()
    pub = await AiortcPublisher(vp8_room["whip_url"], vp8_room["stream_key"], "VP8").start(http)
    first = await wait_until(lambda: _live_segments(api, vp8_room["id"]), within=10, interval=0.05)
    live = server.live_rooms()[vp8_room["id"]]
    assert live.ingest.tracks[0].codec == "VP8"
    assert _video_codec_arg(live.packager.pid) == "libx264"  # type: ignore[union-attr]
    seg = decode_segment(await (await api.client.get(f"/live/{vp8_room['id']}/{first[0]}")).read())
    assert seg["codecs"]["video"] == "h264" and 10 <= seg["video"] <= 20  # 15 fps in, no duplicated frames
    await pub.close()


def _video_codec_arg(pid: int) -> str:
    """What the room's ffmpeg does with video, from its command line."""
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return args[args.index(b"-c:v") + 1].decode()


async def _ended(api, rid: str) -> bool:  # type: ignore[no-untyped-def]
    return (await _room(api, rid))["status"] == "ended"


async def _ended_with_replay(api, rid: str) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    room = await _room(api, rid)
    return room if room["status"] == "ended" and room["playback"]["replay"] else None


async def _metric(api, name: str) -> float | None:  # type: ignore[no-untyped-def]
    text = await (await api.client.get("/metrics")).text()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None
