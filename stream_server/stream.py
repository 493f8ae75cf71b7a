"""The one internal stream of a live room: the publisher's encoded packets fanned out to consumers.

A consumer (the HLS packager, the cover maker, each WHEP track) holds a bounded ``Subscription``.
A consumer that falls behind is cut back to the next keyframe, never allowed to slow the room or
the others: ``publish`` only appends to deques, it never awaits.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Collection

from stream_server.types import Kind, MediaPacket, TrackInfo

__all__ = ["IngestMeter", "Stream", "Subscription"]

KEYFRAME_REQUEST_MIN_INTERVAL_S = 0.5


class Subscription:
    """A bounded queue of packets of some kinds, starting at (and after overflow, resuming at) a keyframe."""

    def __init__(self, stream: Stream, kinds: frozenset[Kind], maxsize: int, from_keyframe: bool) -> None:
        self._stream = stream
        self.kinds = kinds
        self._maxsize = maxsize
        self._gated = from_keyframe and "video" in kinds and "video" in stream.tracks
        self._need_keyframe = self._gated
        self._queue: deque[MediaPacket] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0

    def offer(self, packet: MediaPacket) -> None:
        """Called by the stream for every packet; cheap and never blocking."""
        if self._closed or packet.kind not in self.kinds:
            return
        if self._need_keyframe:
            if not (packet.kind == "video" and packet.keyframe):
                self.dropped += 1
                return
            self._need_keyframe = False
        if len(self._queue) >= self._maxsize:
            self.dropped += len(self._queue) + 1
            self._queue.clear()
            if self._gated:
                self._need_keyframe = True
                self._stream.request_keyframe()
                return
        self._queue.append(packet)
        self._ready.set()

    async def get(self) -> MediaPacket | None:
        """The next packet, or None once the stream (or this subscription) has ended."""
        while not self._queue:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._ready.set()
            self._stream.unsubscribe(self)

    @property
    def closed(self) -> bool:
        return self._closed


class IngestMeter:
    """Bitrate and frame rate of what the publisher sends, over a sliding window."""

    def __init__(self, window_s: float = 2.0) -> None:
        self._window = window_s
        self._samples: deque[tuple[float, int, bool]] = deque()

    def add(self, packet: MediaPacket) -> None:
        self._samples.append((packet.arrival, len(packet.data), packet.kind == "video"))
        self._prune(packet.arrival)

    def _prune(self, now: float) -> None:
        cutoff = now - self._window
        while self._samples and self._samples[0][0] < cutoff:
            self._samples.popleft()

    def bitrate_bps(self, now: float | None = None) -> float:
        self._prune(time.monotonic() if now is None else now)
        return sum(size for _, size, _ in self._samples) * 8 / self._window

    def fps(self, now: float | None = None) -> float:
        self._prune(time.monotonic() if now is None else now)
        return sum(1 for _, _, video in self._samples if video) / self._window


class Stream:
    """Owns the subscriptions of one room; the publisher calls ``publish``, consumers ``subscribe``."""

    def __init__(self, room_id: str, tracks: Collection[TrackInfo],
                 on_keyframe_request: Callable[[], None] | None = None) -> None:
        self.room_id = room_id
        self.tracks: dict[Kind, TrackInfo] = {t.kind: t for t in tracks}
        self._on_keyframe_request = on_keyframe_request
        self._subscriptions: set[Subscription] = set()
        self._last_request = 0.0
        self.meter = IngestMeter()
        self.last_packet_at: float | None = None
        self.last_keyframe_at: float | None = None
        self.closed = False

    def subscribe(self, kinds: Collection[Kind] = ("audio", "video"), maxsize: int = 256,
                  from_keyframe: bool = True, ask_keyframe: bool = True) -> Subscription:
        """A new consumer; ``ask_keyframe`` asks the publisher for one now rather than waiting."""
        sub = Subscription(self, frozenset(kinds), maxsize, from_keyframe)
        if self.closed:
            sub.close()
            return sub
        self._subscriptions.add(sub)
        if sub._need_keyframe and ask_keyframe:
            self.request_keyframe()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)
        if not sub.closed:
            sub.close()

    def publish(self, packet: MediaPacket) -> None:
        if self.closed:
            return
        self.last_packet_at = packet.arrival
        if packet.keyframe and packet.kind == "video":
            self.last_keyframe_at = packet.arrival
        self.meter.add(packet)
        for sub in tuple(self._subscriptions):
            sub.offer(packet)

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (rate-limited: many joiners cost one request)."""
        now = time.monotonic()
        if self._on_keyframe_request is None or now - self._last_request < KEYFRAME_REQUEST_MIN_INTERVAL_S:
            return
        self._last_request = now
        self._on_keyframe_request()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def close(self) -> None:
        """End of the stream: every consumer's ``get`` returns None after its queue drains."""
        self.closed = True
        for sub in tuple(self._subscriptions):
            sub.close()
        self._subscriptions.clear()
