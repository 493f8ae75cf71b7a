"""One ffmpeg run's output, as ffmpeg rewrites its playlist, turned into segments of ``LiveHls``."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from pathlib import Path

from stream_server._media import ts_duration, write_atomic
from stream_server.live_hls import LiveHls
from stream_server.playlist import Segment, parse_segments
from stream_server.types import MediaPacket

__all__ = ["RunWatcher"]

log = logging.getLogger(__name__)


class RunWatcher:
    """Turns one run's playlist, as ffmpeg rewrites it, into segments added to ``LiveHls``."""

    def __init__(self, hls: LiveHls, room_dir: Path, run: int) -> None:
        self._hls = hls
        self._dir = room_dir
        self._playlist = room_dir / f"r{run}.m3u8"
        self._seen = 0
        self._stamp: tuple[int, int] | None = None
        self._end_s = 0.0
        self._origin: int | None = None
        self._fed: deque[tuple[float, float]] = deque(maxlen=600)

    def fed(self, pkt: MediaPacket) -> None:
        """Remember when each video frame reached ffmpeg, to measure the packaging delay."""
        if self._origin is None:
            self._origin = pkt.pts
        self._fed.append((float((pkt.pts - self._origin) * pkt.time_base), pkt.arrival))

    async def watch(self, poll_s: float) -> None:
        while True:
            await asyncio.sleep(poll_s)
            try:
                await self.scan()
            except OSError:  # e.g. the disk is full: keep trying, players keep the last window
                log.warning("reading %s failed", self._playlist, exc_info=True)

    async def scan(self, final: bool = False) -> None:
        """Pick up new segments; ``final``: ffmpeg has exited, its last segment is complete."""
        try:
            st = os.stat(self._playlist)
        except FileNotFoundError:
            return
        if (st.st_mtime_ns, st.st_size) == self._stamp and not final:
            return
        self._stamp = (st.st_mtime_ns, st.st_size)
        segments = parse_segments(await asyncio.to_thread(self._playlist.read_text))
        added = False
        while self._seen < len(segments):
            seg = segments[self._seen]
            if "/" not in seg.uri and not seg.uri.startswith("."):
                data = await asyncio.to_thread((self._dir / seg.uri).read_bytes)
                if final and self._seen == len(segments) - 1:  # ffmpeg under-counts the last one at EOF
                    measured = await asyncio.to_thread(ts_duration, data)
                    if measured is not None and measured > seg.duration:
                        seg = Segment(seg.uri, round(measured, 3))
                self._end_s += seg.duration
                self._hls.add(seg, data, self._delay(self._end_s))
                added = True
            self._seen += 1
        if added:
            await asyncio.to_thread(write_atomic, self._dir / "index.m3u8", self._hls.playlist)

    def _delay(self, end_s: float) -> float | None:
        """Time since the frame that closed the segment (the next keyframe) reached ffmpeg."""
        now = time.monotonic()
        for run_s, arrival in self._fed:
            if run_s >= end_s - 0.001:
                return now - arrival
        return None
