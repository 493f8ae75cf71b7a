"""Everything one live room runs in this process, started and stopped together.

The publisher's session feeds the room's ``Stream``; the HLS and FLV packagers, the cover maker and
each WHEP viewer consume it; forwards to external origins relay the FLV output. A watchdog notices
a publisher that vanished without a DELETE (no media for ``media_timeout_s``, or ICE/DTLS failed)
and keeps keyframes coming once per segment.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from flash_sale.tasks import cancel_and_wait
from stream_server._media import write_atomic
from stream_server.config import StreamConfig
from stream_server.cover import CoverMaker
from stream_server.errors import Overloaded, SessionNotFound
from stream_server.live_flv import LiveFlv
from stream_server.live_hls import LiveHls
from stream_server.protocols.flv import FlvPackager
from stream_server.protocols.forward import Forwarder
from stream_server.protocols.hls import HlsPackager
from stream_server.protocols.rtmp import RtmpIngest
from stream_server.protocols.whep import WhepEgress
from stream_server.protocols.whip import WhipIngest
from stream_server.stream import Stream

__all__ = ["LiveRoom"]

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 0.25


class LiveRoom:
    def __init__(self, room_id: str, session_id: str, config: StreamConfig,
                 on_gone: Callable[[str], None], on_cover: Callable[[], Awaitable[None]] | None = None,
                 ingest: RtmpIngest | None = None, forward: tuple[str, ...] = ()) -> None:
        self.room_id = room_id
        self.session_id = session_id
        self._config = config
        self.dir = config.media_dir / room_id
        self.ingest: WhipIngest | RtmpIngest = WhipIngest(on_state=self._on_state) if ingest is None else ingest
        if ingest is not None:
            ingest.on_state = self._on_state
        self.hls = LiveHls(config.live_window, config.segment_s)
        self.stream: Stream | None = None
        self.packager: HlsPackager | None = None
        self.flv = LiveFlv()
        self.flv_packager: FlvPackager | None = None
        self.forwarders = [Forwarder(room_id, self.flv, url, config.ffmpeg)
                           for url in config.forward_targets(room_id, forward)]
        self.cover: CoverMaker | None = None
        self.viewers: dict[str, WhepEgress] = {}
        self.opened_at = time.monotonic()
        self._on_gone = on_gone
        self._on_cover = on_cover
        self._gone = False
        self._last_pace = 0.0
        self._watchdog: asyncio.Task[None] | None = None

    async def open(self, offer: str) -> str:
        """Negotiate with the publisher and start packaging; returns the SDP answer."""
        await asyncio.to_thread(self.dir.mkdir, parents=True, exist_ok=True)
        answer = await self.ingest.answer(offer)
        stream = self.stream = Stream(self.room_id, self.ingest.tracks, self.ingest.request_keyframe)
        self.ingest.sink = stream.publish
        cfg = self._config
        self.packager = HlsPackager(stream, self.hls, self.dir, cfg.ffmpeg, cfg.segment_s, cfg.playlist_poll_s)
        self.packager.start()
        self.flv_packager = FlvPackager(stream, self.flv, cfg.ffmpeg)
        self.flv_packager.start()
        for forwarder in self.forwarders:
            forwarder.start()
        self.cover = CoverMaker(stream, self.dir / "cover.jpg", cfg.cover_interval_s, cfg.cover_width, self._on_cover)
        self.cover.start()
        self._watchdog = asyncio.create_task(self._watch(), name=f"watchdog-{self.room_id}")
        return answer

    def _on_state(self, state: str) -> None:
        if state in ("failed", "closed"):
            self._report(f"publisher connection {state}")

    def _report(self, reason: str) -> None:
        if not self._gone:
            self._gone = True
            log.info("room %s: %s", self.room_id, reason)
            self._on_gone(reason)

    async def _watch(self) -> None:
        cfg = self._config
        while not self._gone:
            await asyncio.sleep(WATCH_INTERVAL_S)
            stream, now = self.stream, time.monotonic()
            if stream is None:
                continue
            last = stream.last_packet_at
            if last is None:
                if now - self.opened_at > cfg.connect_timeout_s:
                    self._report("no media since the answer")
                continue
            if now - last > cfg.media_timeout_s:
                self._report(f"no media for {cfg.media_timeout_s:g} s")
                continue
            pace = cfg.segment_s * 1.1
            kf = stream.last_keyframe_at
            if "video" in stream.tracks and (kf is None or now - kf > pace) and now - self._last_pace > pace:
                self._last_pace = now
                self.ingest.request_keyframe()  # browsers send keyframes only when asked

    async def add_viewer(self) -> tuple[str, WhepEgress]:
        if self.stream is None or self.stream.closed:
            raise SessionNotFound("room not streaming")
        if len(self.viewers) >= self._config.max_whep_viewers:
            raise Overloaded("this room has as many WebRTC viewers as it takes; use HLS")
        viewer_id = secrets.token_urlsafe(16)

        def on_state(state: str) -> None:
            if state in ("failed", "closed"):
                asyncio.ensure_future(self.remove_viewer(viewer_id))

        egress = WhepEgress(self.stream, on_state)
        self.viewers[viewer_id] = egress
        return viewer_id, egress

    async def remove_viewer(self, viewer_id: str) -> bool:
        egress = self.viewers.pop(viewer_id, None)
        if egress is None:
            return False
        await egress.close()
        return True

    async def close(self) -> None:
        """Stop everything; the recording is finalised (ffmpeg flushes its last segment) first."""
        self._gone = True
        await cancel_and_wait(self._watchdog)
        for viewer_id in list(self.viewers):
            await self.remove_viewer(viewer_id)
        await self.ingest.close()
        if self.stream is not None:
            self.stream.close()
        if self.packager is not None:
            await self.packager.stop()
        if self.flv_packager is not None:
            await self.flv_packager.stop()
        self.flv.finish()
        await asyncio.gather(*(f.stop() for f in self.forwarders))
        if self.cover is not None:
            await self.cover.stop()
        self.hls.finish()
        if self.hls.replay is not None:
            await asyncio.to_thread(write_atomic, self.dir / "replay.m3u8", self.hls.replay)
        if self.dir.exists():
            await asyncio.to_thread(write_atomic, self.dir / "index.m3u8", self.hls.playlist)
