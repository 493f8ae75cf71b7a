"""The HLS packager: a crashed ffmpeg is noticed and replaced (the playlists mark the seam), and
every ffmpeg is reaped, also when the server shuts down with rooms still live."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from stream_server import StreamServer
from stream_server.playlist import parse_segments
from tests.stream_server.media import FfmpegPublisher, wait_until


def _gone(pid: int) -> bool:
    """No process and no zombie: /proc keeps an entry until the parent has waited for it."""
    return not Path(f"/proc/{pid}").exists()


async def test_ffmpeg_crash_is_restarted_and_children_are_reaped_on_shutdown(api, room, server: StreamServer) -> None:
    rid = room["id"]
    pub = await FfmpegPublisher(room["whip_url"], room["stream_key"], seconds=30).start()
    try:
        async def segments() -> list[str]:
            r = await api.client.get(f"/live/{rid}/index.m3u8")
            return [s.uri for s in parse_segments(await r.text())] if r.status == 200 else []

        await wait_until(segments, within=10, interval=0.05)
        packager = server.live_rooms()[rid].packager
        assert packager is not None and packager.pid is not None
        first_pid = packager.pid
        os.kill(first_pid, signal.SIGKILL)
        await wait_until(lambda: asyncio.sleep(0, packager.restarts == 1 and packager.pid != first_pid), within=5)
        assert _gone(first_pid)
        uris = await wait_until(lambda: _has_run(segments, "r1_"), within=10, interval=0.1)
        playlist = await (await api.client.get(f"/live/{rid}/index.m3u8")).text()
        assert "#EXT-X-DISCONTINUITY" in playlist and any(u.startswith("r0_") for u in uris)
        metrics = await (await api.client.get("/metrics")).text()
        assert f'lc_stream_packager_restarts_total{{room="{rid}"}} 1.0' in metrics

        second_pid = packager.pid
        await api.client.close()  # the app stops with the room live: it ends, ffmpeg is reaped
        assert _gone(second_pid)
        replay = (server.config.media_dir / rid / "replay.m3u8").read_text()
        assert replay.rstrip().endswith("#EXT-X-ENDLIST") and "#EXT-X-DISCONTINUITY" in replay
        assert {u[:3] for u in (s.uri for s in parse_segments(replay))} == {"r0_", "r1_"}
    finally:
        await pub.kill()


async def _has_run(segments, prefix: str) -> list[str] | None:  # type: ignore[no-untyped-def]
    uris = await segments()
    return uris if any(u.startswith(prefix) for u in uris) else None
