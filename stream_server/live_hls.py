"""What HLS players of one room read: the live playlist, the newest segments in memory, the replay.

Serving a segment from memory is ~7x faster than from a file with aiohttp here (ARCHITECTURE.md),
so the live window stays in memory; everything is also on disk under the room's directory, for
the replay, for other processes of the same deployment and for a front nginx.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from stream_server.playlist import Segment, render_live, render_vod

__all__ = ["LiveHls"]

VIEWER_WINDOW_S = 5.0


class LiveHls:
    def __init__(self, window: int, target_s: float, extra_in_memory: int = 4) -> None:
        self.window = window
        self.target_s = target_s
        self._keep = window + extra_in_memory
        self.segments: list[Segment] = []
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self.playlist: bytes = render_live([], window, target_s).encode()
        self.replay: bytes | None = None
        self.ended = False
        self.packaging_delay_s: float | None = None
        self.first_segment_at: float | None = None
        self._fetches: deque[float] = deque()

    def add(self, segment: Segment, data: bytes, packaging_delay_s: float | None = None) -> None:
        if self.segments and segment.discontinuity is False and self._run(segment) != self._run(self.segments[-1]):
            segment = Segment(segment.uri, segment.duration, discontinuity=True)
        self.segments.append(segment)
        self._memory[segment.uri] = data
        while len(self._memory) > self._keep:
            self._memory.popitem(last=False)
        self.playlist = render_live(self.segments, self.window, self.target_s).encode()
        if packaging_delay_s is not None:
            self.packaging_delay_s = packaging_delay_s
        if self.first_segment_at is None:
            self.first_segment_at = time.monotonic()

    @staticmethod
    def _run(segment: Segment) -> str:
        return segment.uri.split("_", 1)[0]

    def finish(self) -> None:
        """The room ended: the live playlist closes and the replay covers every segment."""
        self.ended = True
        self.playlist = render_live(self.segments, self.window, self.target_s, ended=True).encode()
        if self.segments:
            self.replay = render_vod(self.segments, self.target_s).encode()

    def segment(self, name: str) -> bytes | None:
        return self._memory.get(name)

    def note_playlist_fetch(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._fetches.append(now)
        self._prune(now)

    def _prune(self, now: float) -> None:
        while self._fetches and self._fetches[0] < now - VIEWER_WINDOW_S:
            self._fetches.popleft()

    def viewers(self, now: float | None = None) -> float:
        """Players refetch a live playlist about once per target duration, so fetches per target
        duration estimate the audience without tracking anyone."""
        self._prune(time.monotonic() if now is None else now)
        return len(self._fetches) * self.target_s / VIEWER_WINDOW_S
