"""Live HLS segments proxied from their owner, kept briefly in this process.

A segment's name is never reused (run and sequence number), so a copy cannot go stale; the
players of a room ask for each new segment within about a second of each other. Without this,
every one of them costs a round trip to the owner and ~6x the CPU of a local fetch
(docs/BENCHMARKS.md, "Live media across workers"). Concurrent misses of one segment share one
fetch; entries expire after ``ttl_s`` and the total is bounded in bytes.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["CachedAnswer", "SegmentCache"]


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


class SegmentCache:
    def __init__(self, max_bytes: int = 32 * 1024 * 1024, ttl_s: float = 15.0) -> None:
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self._entries: OrderedDict[str, tuple[float, CachedAnswer]] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[str, asyncio.Future[CachedAnswer]] = {}
        self.hits = 0

    def peek(self, key: str) -> CachedAnswer | None:
        """A copy still fresh, without fetching (a hit needs not even know the owner)."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        self.hits += 1
        return entry[1]

    async def get(self, key: str, fetch: Callable[[], Awaitable[CachedAnswer]]) -> CachedAnswer:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            self.hits += 1
            return entry[1]
        pending = self._inflight.get(key)
        if pending is not None:
            self.hits += 1
            return await asyncio.shield(pending)
        future: asyncio.Future[CachedAnswer] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            answer = await fetch()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: waiters (if any) get it, nobody logs it as lost
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(answer)
        if answer.status == 200 and len(answer.body) <= self.max_bytes // 4:
            self._put(key, answer, now)
        return answer

    def _put(self, key: str, answer: CachedAnswer, now: float) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1].body)
        self._entries[key] = (now + self.ttl_s, answer)
        self._bytes += len(answer.body)
        while self._entries and (self._bytes > self.max_bytes or next(iter(self._entries.values()))[0] <= now):
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= len(dropped.body)
