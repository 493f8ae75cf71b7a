"""A publisher that vanishes without a DELETE is noticed within seconds and its room ends."""

from __future__ import annotations

import time

from stream_server import StreamServer
from tests.stream_server.media import FfmpegPublisher, wait_until


async def test_vanished_publisher_ends_the_room(api, room, server: StreamServer) -> None:
    rid = room["id"]
    pub = await FfmpegPublisher(room["whip_url"], room["stream_key"], seconds=30).start()

    async def streaming() -> bool:
        live = server.live_rooms().get(rid)
        return live is not None and live.hls.first_segment_at is not None

    await wait_until(streaming, within=10)
    await pub.kill()  # SIGKILL: no DELETE, no DTLS close, just silence
    killed = time.monotonic()

    async def ended() -> dict | None:
        body = await (await api.client.get(f"/api/v1/rooms/{rid}")).json()
        return body if body["status"] == "ended" else None

    await wait_until(ended, within=10, interval=0.1)
    took = time.monotonic() - killed
    assert took < server.config.media_timeout_s + 3.0, took
    assert rid not in server.live_rooms()
    await wait_until(lambda: _replay(api, rid), within=5)


async def _replay(api, rid: str) -> bool:  # type: ignore[no-untyped-def]
    body = await (await api.client.get(f"/api/v1/rooms/{rid}")).json()
    return body["playback"]["replay"] is not None
