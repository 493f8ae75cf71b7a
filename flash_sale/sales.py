"""Sale lifecycle in Redis: load an allocation as per-store buckets, read it, close it."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import orjson
import redis.asyncio as aioredis

from flash_sale.errors import InvalidSale, SaleNotFound
from flash_sale.keys import ACTIVE_SALES, room_sales_key, sale_keys
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
        self, client: aioredis.Redis, scripts: ScriptRegistry, allocator: StockAllocator, buy_rate_per_s: int
    ) -> None:
        self._client = client
        self._scripts = scripts
        self._allocator = allocator
        self._rate = buy_rate_per_s

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
        meta = {
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
        stores = [{"id": s.store_id, "qty": s.quantity, "lng": s.lng, "lat": s.lat} for s in shares]
        await self._scripts["load"](
            self._client, sale_keys(spec.id), [orjson.dumps(meta), orjson.dumps(stores)]
        )

    async def snapshot(self, sale_id: str) -> SaleSnapshot:
        reply = await self._scripts["snapshot"](self._client, sale_keys(sale_id), [])
        if not reply:
            raise SaleNotFound(f"no flash sale {sale_id}")
        meta = _pairs(reply[0])
        stock = {k: int(v) for k, v in _pairs(reply[1]).items()}
        now = int(reply[2])
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
            allocated=int(meta["allocated"]),
            remaining=int(meta["remaining"]),
            reserved=int(meta["reserved"]),
            sold=int(meta["sold"]),
            remaining_by_store=stock,
            meta=meta,
        )

    async def close(self, sale_id: str, state: str = "closed") -> str:
        prev = await self._scripts["close"](self._client, sale_keys(sale_id), [state])
        if prev is None:
            raise SaleNotFound(f"no flash sale {sale_id}")
        return str(prev)

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
