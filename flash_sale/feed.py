"""Live figures of sales for the room's realtime plane: remaining units and recent purchases.

Read a few times a second per process (never once per order), so stock updates on screen are
coalesced by construction. A hot sale's figures are summed over its buckets.
"""

from __future__ import annotations

import orjson
import redis.asyncio as aioredis

from flash_sale.keys import sale_keys
from flash_sale.layout import SaleLayout

__all__ = ["SaleFeedReader"]


class SaleFeedReader:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._layout = SaleLayout(client)

    async def remaining(self, sale_ids: list[str]) -> dict[str, int]:
        owners = [(s, b) for s in sale_ids for b in await self._layout.buckets(s)]
        async with self._client.pipeline(transaction=False) as pipe:
            for _, bucket in owners:
                pipe.hget(sale_keys(bucket)[0], "remaining")
            values = await pipe.execute()
        out: dict[str, int] = {}
        for (sale_id, _), v in zip(owners, values, strict=True):
            if v is not None:
                out[sale_id] = out.get(sale_id, 0) + int(v)
        return out

    async def purchases(self, sale_id: str, after: str | None, limit: int) -> tuple[list[tuple[str, str]], str]:
        """(nickname, sku) of reservations after ``after`` (None: from now on), newest ``limit``."""
        keys = [sale_keys(b)[8] for b in await self._layout.buckets(sale_id)]
        if after is None:
            last = [e[0][0] for e in [await self._client.xrevrange(k, count=1) for k in keys] if e]
            return [], max(last, key=_entry_order) if last else "0-0"
        entries = []
        for key in keys:  # the buckets' streams share Redis' clock: their ids interleave in time
            entries += await self._client.xrange(key, min=f"({after}", max="+", count=200)
        entries.sort(key=lambda e: _entry_order(e[0]))
        bought = []
        for _, fields in entries:
            if fields.get("type") == "reserved":
                rec = orjson.loads(fields["order"])
                bought.append((rec.get("nickname") or "someone", rec.get("sku") or ""))
        return bought[-limit:], entries[-1][0] if entries else after


def _entry_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
