"""Viewer counts across processes: each process reports its own count per room every second,
and the room's count is the sum of fresh reports (a dead process stops counting in 5 s)."""

from __future__ import annotations

import time
from collections.abc import Mapping

import redis.asyncio as aioredis

__all__ = ["Presence"]

_FRESH_MS = 5000


def _key(room_id: str) -> str:
    return f"lc:rt:{room_id}:viewers"


class Presence:
    def __init__(self, client: aioredis.Redis, process_id: str) -> None:
        self._client = client
        self._me = process_id

    async def report(self, local_counts: Mapping[str, int]) -> dict[str, int]:
        """Write this process' counts and read back every room's total."""
        if not local_counts:
            return {}
        now = int(time.time() * 1000)
        async with self._client.pipeline(transaction=False) as pipe:
            for room_id, n in local_counts.items():
                if n:
                    pipe.hset(_key(room_id), self._me, f"{n}:{now}")
                else:
                    pipe.hdel(_key(room_id), self._me)
                pipe.pexpire(_key(room_id), _FRESH_MS * 4)
                pipe.hgetall(_key(room_id))
            replies = await pipe.execute()
        totals = {}
        for room_id, reports in zip(local_counts, replies[2::3], strict=True):
            totals[room_id] = _sum_fresh(reports, now)
        return totals

    async def count(self, room_id: str) -> int:
        return _sum_fresh(await self._client.hgetall(_key(room_id)), int(time.time() * 1000))

    async def withdraw(self, room_ids: list[str]) -> None:
        if room_ids:
            async with self._client.pipeline(transaction=False) as pipe:
                for room_id in room_ids:
                    pipe.hdel(_key(room_id), self._me)
                await pipe.execute()


def _sum_fresh(reports: Mapping[str, str], now: int) -> int:
    total = 0
    for value in reports.values():
        n, _, ts = value.partition(":")
        if now - int(ts) <= _FRESH_MS:
            total += int(n)
    return total
