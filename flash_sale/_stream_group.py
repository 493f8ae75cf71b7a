"""The ledger's consumer group on the sales' event streams: the Redis commands, and nothing else.

Every command names one sale's stream, so it runs on that sale's slot of a Redis Cluster; reads of
many sales go out as one non-transactional pipeline (redis-py splits it per node on a cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from flash_sale.keys import sale_keys

__all__ = ["GROUP", "Entry", "StreamGroup", "members", "stream_key"]

GROUP = "ledger"

#: (entry id, fields) as redis-py returns them.
Entry = tuple[str, dict[str, str]]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def stream_key(sale_id: str) -> str:
    return sale_keys(sale_id)[8]


def _entries(reply: Any) -> list[Entry]:
    """The entries of a one-stream XREADGROUP reply (RESP2 list or RESP3 map), skipping deleted ones."""
    if not reply:
        return []
    streams = reply.values() if isinstance(reply, dict) else [item[1] for item in reply]
    out: list[Entry] = []
    for entries in streams:
        if entries and isinstance(entries[0], list) and not isinstance(entries[0][0], str | bytes):
            entries = entries[0]  # RESP3 wraps the entries once more
        out.extend((eid, fields) for eid, fields in entries if fields is not None)
    return out


async def members(client: aioredis.Redis, key: str) -> list[str]:
    """The members of a set, as text, sorted."""
    return sorted(_text(m) for m in await client.smembers(key))


class StreamGroup:
    """One consumer (``name``) of group ``ledger`` on any number of sale streams."""

    def __init__(self, client: aioredis.Redis, name: str) -> None:
        self.client = client
        self.name = name
        self._known: set[str] = set()

    async def ensure(self, sale_id: str) -> None:
        """Create the group at the start of the stream (and the stream itself) unless it exists."""
        if sale_id in self._known:
            return
        try:
            await self.client.xgroup_create(stream_key(sale_id), GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._known.add(sale_id)

    def forget(self, sale_id: str) -> None:
        self._known.discard(sale_id)

    async def read(self, sale_ids: Sequence[str], count: int, own_pending: bool = False) -> dict[str, list[Entry]]:
        """New entries of each sale (or this consumer's unacknowledged ones), one round trip for all."""
        for sale_id in sale_ids:
            await self.ensure(sale_id)
        start = "0" if own_pending else ">"
        async with self.client.pipeline(transaction=False) as pipe:
            for sale_id in sale_ids:
                pipe.xreadgroup(GROUP, self.name, {stream_key(sale_id): start}, count=count)
            replies = await pipe.execute(raise_on_error=False)
        out: dict[str, list[Entry]] = {}
        for sale_id, reply in zip(sale_ids, replies, strict=True):
            if isinstance(reply, ResponseError) and "NOGROUP" in str(reply):
                self.forget(sale_id)  # the stream vanished (Redis lost its data): recreate next time
                continue
            if isinstance(reply, Exception):
                raise reply
            entries = _entries(reply)
            if entries:
                out[sale_id] = entries
        return out

    async def claim(self, sale_id: str, min_idle_ms: int, count: int, start: str = "0-0") -> tuple[str, list[Entry]]:
        """Take over entries another consumer left unacknowledged for ``min_idle_ms``: (next start, entries)."""
        await self.ensure(sale_id)
        reply = await self.client.xautoclaim(stream_key(sale_id), GROUP, self.name, min_idle_ms, start, count=count)
        next_start, entries = reply[0], reply[1]
        return str(next_start), [(eid, fields) for eid, fields in entries if fields is not None]

    async def ack(self, acks: dict[str, list[str]]) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            for sale_id, ids in acks.items():
                pipe.xack(stream_key(sale_id), GROUP, *ids)
            await pipe.execute()

    async def backlog(self, sale_id: str) -> int:
        """Entries of the stream the group has not acknowledged yet: undelivered + pending."""
        try:
            groups = await self.client.xinfo_groups(stream_key(sale_id))
        except ResponseError:  # no such stream: nothing to consume
            return 0
        for g in groups:
            if g["name"] == GROUP:
                lag = g.get("lag")
                if lag is None:  # unknown after deletions: count what lies beyond the last delivery
                    beyond = await self.client.xrange(stream_key(sale_id), f"({g['last-delivered-id']}", "+")
                    lag = len(beyond or ())
                return int(lag) + int(g["pending"])
        return int(await self.client.xlen(stream_key(sale_id)))

    async def retire(self, sale_id: str) -> None:
        """Remove this consumer from a sale's group if it holds no pending entry (they would be lost)."""
        for c in await self.client.xinfo_consumers(stream_key(sale_id), GROUP):
            if c["name"] == self.name and int(c["pending"]) == 0:
                await self.client.xgroup_delconsumer(stream_key(sale_id), GROUP, self.name)
