"""Sale lifecycle in Redis: load an allocation as per-store buckets, read it, close it.

A hot sale (``SaleSpec.shards`` > 1) is loaded as K buckets (see layout.py), each store's units
split evenly across them; its snapshot adds the buckets up.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from typing import Any

import orjson
import redis.asyncio as aioredis

from flash_sale.errors import InvalidSale, SaleNotFound
from flash_sale.keys import ACTIVE_SALES, room_sales_key, sale_keys
from flash_sale.layout import SaleLayout, choose_buckets
from flash_sale.rebalance import Rebalancer
from flash_sale.scripts import ScriptRegistry
from flash_sale.types import AllocatedStore, SaleSnapshot, SaleSpec, StockAllocator

__all__ = ["SaleBook", "new_sale_id"]

MAX_STORES_PER_SALE = 500


def new_sale_id() -> str:
    return secrets.token_hex(6)


def _ms(dt: object) -> int:
    return int(dt.timestamp() * 1000)  # type: ignore[attr-defined]


class SaleBook:
    """Creates sales (inventory first, then Redis) and reads their state atomically."""

    def __init__(
        self, client: aioredis.Redis, scripts: ScriptRegistry, allocator: StockAllocator, buy_rate_per_s: int,
        layout: SaleLayout | None = None, rebalancer: Rebalancer | None = None,
    ) -> None:
        self._client = client
        self._scripts = scripts
        self._allocator = allocator
        self._rate = buy_rate_per_s
        self.layout = layout or SaleLayout(client)
        self.rebalancer = rebalancer or Rebalancer(client, scripts)

    async def create(self, spec: SaleSpec) -> SaleSnapshot:
        """Allocate in the inventory of record, then load the buckets; undo the allocation on failure."""
        if spec.ends_at <= spec.starts_at:
            raise InvalidSale("ends_at: must be after starts_at", field="ends_at")
        stores = [a.store_id for a in spec.allocations]
        if len(set(stores)) != len(stores):
            raise InvalidSale("allocations: a store appears twice", field="allocations")
        if not 1 <= len(stores) <= MAX_STORES_PER_SALE:
            raise InvalidSale("allocations: 1..500 stores", field="allocations")
        shares = await self._allocator.allocate(spec)
        try:
            await self._load(spec, shares)
        except BaseException:
            await self._allocator.release_allocation(spec.id)
            raise
        await self._client.sadd(ACTIVE_SALES, spec.id)
        if spec.room_id:
            await self._client.zadd(room_sales_key(spec.room_id), {spec.id: _ms(spec.starts_at)})
        return await self.snapshot(spec.id)

    async def _load(self, spec: SaleSpec, shares: Sequence[AllocatedStore]) -> None:
        meta: dict[str, Any] = {
            "sale_id": spec.id,
            "sku": spec.sku,
            "price": spec.price_cents,
            "starts_ms": _ms(spec.starts_at),
            "ends_ms": _ms(spec.ends_at),
            "limit": spec.per_user_limit,
            "timeout_ms": spec.payment_timeout_s * 1000,
            "rate": self._rate,
            "room_id": spec.room_id or "",
            "created_by": spec.created_by,
        }
        if spec.shards <= 1:
            stores = [{"id": s.store_id, "qty": s.quantity, "lng": s.lng, "lat": s.lat} for s in shares]
            await self._scripts["load"](self._client, sale_keys(spec.id), [orjson.dumps(meta), orjson.dumps(stores)])
            return
        buckets = choose_buckets(self._client, spec.id, spec.shards)
        k = len(buckets)
        meta.update(shards=k, buckets=",".join(buckets), total_allocated=sum(s.quantity for s in shares),
                    seq_step=k)
        # the first bucket last: its meta makes the sale visible, once every other bucket exists
        for b in reversed(range(k)):
            stores = [{"id": s.store_id, "qty": s.quantity // k + (1 if (b - i) % k < s.quantity % k else 0),
                       "lng": s.lng, "lat": s.lat} for i, s in enumerate(shares)]
            await self._scripts["load"](self._client, sale_keys(buckets[b]),
                                        [orjson.dumps({**meta, "seq_start": b + 1 - k}), orjson.dumps(stores)])
        self.layout.remember(spec.id, buckets)

    async def snapshot(self, sale_id: str) -> SaleSnapshot:
        buckets = await self.layout.buckets(sale_id)
        replies = await asyncio.gather(*(self._scripts["snapshot"](self._client, sale_keys(b), []) for b in buckets))
        if not all(replies):
            raise SaleNotFound(f"no flash sale {sale_id}")
        meta = _pairs(replies[0][0])
        now = int(replies[0][2])
        stock: dict[str, int] = {}
        reserved = sold = 0
        for reply in replies:
            for store, units in _pairs(reply[1]).items():
                stock[store] = stock.get(store, 0) + int(units)
            bucket = _pairs(reply[0])
            reserved += int(bucket["reserved"])
            sold += int(bucket["sold"])
        allocated = int(meta.get("total_allocated") or meta["allocated"])
        starts, ends = int(meta["starts_ms"]), int(meta["ends_ms"])
        if meta.get("state") != "open" or now >= ends:
            status = "ended"
        elif now < starts:
            status = "scheduled"
        else:
            status = "active"
        return SaleSnapshot(
            id=sale_id,
            sku=meta["sku"],
            status=status,  # type: ignore[arg-type]
            starts_at_ms=starts,
            ends_at_ms=ends,
            allocated=allocated,
            remaining=allocated - reserved - sold,  # a hot sale's units in flight between buckets count
            reserved=reserved,
            sold=sold,
            remaining_by_store=stock,
            meta=meta,
        )

    async def close(self, sale_id: str, state: str = "closed") -> str:
        """Set the state of every bucket (the first last); returns the first bucket's previous state."""
        buckets = await self.layout.buckets(sale_id)
        for b in reversed(buckets):
            prev = await self._scripts["close"](self._client, sale_keys(b), [state])
        if prev is None:
            raise SaleNotFound(f"no flash sale {sale_id}")
        return str(prev)

    async def recover(self, sale_id: str) -> int:
        """Finish a hot sale's interrupted stock transfers (nothing to do for an ordinary sale)."""
        buckets = await self.layout.buckets(sale_id)
        return await self.rebalancer.recover(buckets) if len(buckets) > 1 else 0

    async def active_ids(self) -> list[str]:
        return sorted(await self._client.smembers(ACTIVE_SALES))

    async def ids_for_room(self, room_id: str, limit: int = 100) -> list[str]:
        """The room's sales, latest start first (its own index: the cost is the room's, not every sale's)."""
        return list(await self._client.zrevrange(room_sales_key(room_id), 0, limit - 1))

    async def retire(self, sale_id: str) -> None:
        await self._client.srem(ACTIVE_SALES, sale_id)


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    it = iter(flat)
    return dict(zip(it, it, strict=True))
