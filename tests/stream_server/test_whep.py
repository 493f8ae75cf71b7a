"""WHEP viewers receive the publisher's own packets: frames arrive, and nothing is encoded per viewer."""

from __future__ import annotations

import asyncio

import pytest
from aiortc.codecs.h264 import H264Encoder

from stream_server import StreamServer
from tests.stream_server.media import FfmpegPublisher, WhepViewer, wait_until


@pytest.fixture
def encoder_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts aiortc's H.264 encodes (must stay 0) and packetisations of pre-encoded packets."""
    calls = {"encode": 0, "pack": 0}
    encode, pack = H264Encoder.encode, H264Encoder.pack

    def counting_encode(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["encode"] += 1
        return encode(self, *args, **kwargs)

    def counting_pack(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["pack"] += 1
        return pack(self, *args, **kwargs)

    monkeypatch.setattr(H264Encoder, "encode", counting_encode)
    monkeypatch.setattr(H264Encoder, "pack", counting_pack)
    return calls


async def test_viewers_get_frames_without_any_encode(api, room, server: StreamServer, http,
                                                     encoder_calls: dict[str, int]) -> None:
    rid = room["id"]
    pub = await FfmpegPublisher(room["whip_url"], room["stream_key"], seconds=20).start()
    try:
        await wait_until(lambda: asyncio.sleep(0, server.live_rooms().get(rid) is not None
                                               and server.live_rooms()[rid].stream.last_packet_at), within=10)
        url = str(api.client.make_url(f"/whep/{rid}"))
        viewers = [await WhepViewer(url).start(http) for _ in range(2)]
        assert all(v.location and v.location.startswith(url + "/") for v in viewers)
        await wait_until(lambda: asyncio.sleep(0, all(v.frames["video"] >= 15 and v.frames["audio"] >= 20
                                                       for v in viewers)), within=10)
        assert all(v.size == (320, 240) for v in viewers)
        assert encoder_calls["encode"] == 0 and encoder_calls["pack"] >= 30
        assert len(server.live_rooms()[rid].viewers) == 2
        metrics = await (await api.client.get("/metrics")).text()
        assert f'lc_stream_whep_viewers{{room="{rid}"}} 2.0' in metrics

        assert (await http.delete(viewers[0].location)).status == 200
        assert (await http.delete(viewers[0].location)).status == 404
        assert len(server.live_rooms()[rid].viewers) == 1
        before = viewers[1].frames["video"]
        await wait_until(lambda: asyncio.sleep(0, viewers[1].frames["video"] > before + 5), within=5)
        for v in viewers:
            await v.close()
        await wait_until(lambda: asyncio.sleep(0, not server.live_rooms()[rid].viewers), within=5)
    finally:
        await pub.stop()
