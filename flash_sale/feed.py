"""Live figures of sales for the room's realtime plane: remaining units and recent purchases.

Read a few times a second per process (never once per order), so stock updates on screen are
coalesced by construction.
"""

from __future__ import annotations

import orjson
import redis.asyncio as aioredis

from flash_sale.keys import sale_keys

__all__ = ["SaleFeedReader"]


class SaleFeedReader:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def remaining(self, sale_ids: list[str]) -> dict[str, int]:
        async with self._client.pipeline(transaction=False) as pipe:
            for sale_id in sale_ids:
                pipe.hget(sale_keys(sale_id)[0], "remaining")
            values = await pipe.execute()
        return {s: int(v) for s, v in zip(sale_ids, values, strict=True) if v is not None}

    async def purchases(self, sale_id: str, after: str | None, limit: int) -> tuple[list[tuple[str, str]], str]:
        """(nickname, sku) of reservations after ``after`` (None: from now on), newest ``limit``."""
        key = sale_keys(sale_id)[8]
        if after is None:
            last = await self._client.xrevrange(key, count=1)
            return [], last[0][0] if last else "0-0"
        entries = await self._client.xrange(key, min=f"({after}", max="+", count=200)
        bought = []
        for _, fields in entries:
            if fields.get("type") == "reserved":
                rec = orjson.loads(fields["order"])
                bought.append((rec.get("nickname") or "someone", rec.get("sku") or ""))
        return bought[-limit:], entries[-1][0] if entries else after
