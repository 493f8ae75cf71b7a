"""Moves a hot sale's last units to the bucket that ran dry, so the sale sells out exactly.

A transfer has two atomic halves on two shards: ``give`` takes units out of the donor (they can
no longer be sold there) and records the transfer in the donor's xfer hash; ``receive`` adds them
to the receiver once per transfer id; the record is dropped after. A crash in between leaves the
units in flight, never doubled: ``recover`` replays pending transfers (settlement and verify call
it), and until then the sale's reported remaining counts them (allocated - reserved - sold).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from flash_sale.keys import sale_keys, transfer_in_key, transfer_out_key
from flash_sale.scripts import Script, ScriptRegistry

__all__ = ["Rebalancer", "ScriptRunner"]

#: How a script is run: the core's coalescer (so a transfer is as durable as a buy), or plainly.
ScriptRunner = Callable[[Script, Sequence[str], Sequence[Any]], Awaitable[Any]]

log = logging.getLogger(__name__)


class Rebalancer:
    def __init__(
        self, client: aioredis.Redis | RedisCluster, scripts: ScriptRegistry, run: ScriptRunner | None = None
    ) -> None:
        self._client = client
        self._run: ScriptRunner = run or (lambda script, keys, args: script(client, keys, args))
        self._give = scripts["give"]
        self._receive = scripts["receive"]
        self._locks: dict[str, asyncio.Lock] = {}
        self.transfers = 0
        self.units = 0

    async def refill(self, buckets: list[str], target: str, need: int, store: str | None = None) -> int:
        """Bring at least ``need`` units (of ``store``, if given) into ``target``; returns the units it
        holds or received for the retry (0: no other bucket has any, the sale is sold out there)."""
        lock = self._locks.setdefault(target, asyncio.Lock())
        async with lock:  # concurrent buyers of one dry bucket share one refill
            avail = await self._available(buckets, store)
            have = avail.pop(target)
            if have >= need:
                return have  # refilled while this buyer waited
            for donor, units in sorted(avail.items(), key=lambda kv: -kv[1]):
                if units <= 0:
                    break
                # half the donor's units (at least what is missing): the buckets converge in few moves
                amount = min(units, max(need - have, (units + 1) // 2))
                moved = await self.move(donor, target, amount, store)
                if moved:
                    return have + moved
            return 0

    async def _available(self, buckets: list[str], store: str | None) -> dict[str, int]:
        async with self._client.pipeline(transaction=False) as pipe:
            for b in buckets:
                if store is None:
                    pipe.hget(sale_keys(b)[0], "remaining")
                else:
                    pipe.hget(sale_keys(b)[1], store)
            values = await pipe.execute()
        return {b: int(v or 0) for b, v in zip(buckets, values, strict=True)}

    async def move(self, donor: str, target: str, units: int, store: str | None = None) -> int:
        transfer_id = secrets.token_hex(8)
        keys = [*sale_keys(donor), transfer_out_key(donor)]
        # the give is durable (per the core's durability level) before the receiver gets the units
        record = await self._run(self._give, keys, [transfer_id, target, units, store or ""])
        if not record:
            return 0
        moved = await self._apply(donor, transfer_id, str(record))
        self.transfers += 1
        self.units += moved
        return moved

    async def _apply(self, donor: str, transfer_id: str, record: str) -> int:
        transfer = orjson.loads(record)
        target = transfer["to"]
        await self._run(self._receive, [*sale_keys(target), transfer_in_key(target)], [transfer_id, record])
        await self._client.hdel(transfer_out_key(donor), transfer_id)
        return int(sum(transfer["stores"].values()))

    async def pending(self, buckets: list[str]) -> dict[str, dict[str, str]]:
        """Transfers given but not yet known to be received, per donor bucket."""
        out: dict[str, dict[str, str]] = {}
        for b in buckets:
            held = await self._client.hgetall(transfer_out_key(b))
            if held:
                out[b] = {str(k): str(v) for k, v in held.items()}
        return out

    async def recover(self, buckets: list[str]) -> int:
        """Finish every pending transfer of these buckets (idempotent); returns how many."""
        n = 0
        for donor, transfers in (await self.pending(buckets)).items():
            for transfer_id, record in transfers.items():
                await self._apply(donor, transfer_id, record)
                n += 1
        if n:
            log.info("finished %d interrupted stock transfers", n)
        return n
