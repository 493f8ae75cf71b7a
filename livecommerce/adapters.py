"""Plain-code glue between packages: each side keeps its own types and interfaces."""

from __future__ import annotations

from collections.abc import Sequence

from flash_sale.types import AllocatedStore, SaleSpec
from inventory import Inventory, SaleAllocation

__all__ = ["InventoryAllocator"]


class InventoryAllocator:
    """The flash-sale core's ``StockAllocator``, backed by the inventory of record."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory

    async def allocate(self, sale: SaleSpec) -> Sequence[AllocatedStore]:
        shares = await self._inventory.allocate_sale(
            SaleAllocation(
                id=sale.id,
                sku=sale.sku,
                price_cents=sale.price_cents,
                starts_at=sale.starts_at,
                ends_at=sale.ends_at,
                per_user_limit=sale.per_user_limit,
                payment_timeout_s=sale.payment_timeout_s,
                created_by=sale.created_by,
                room_id=sale.room_id,
                allocations=tuple((a.store_id, a.quantity) for a in sale.allocations),
            )
        )
        return [AllocatedStore(s.store_id, s.quantity, s.lat, s.lng) for s in shares]

    async def release_allocation(self, sale_id: str) -> None:
        await self._inventory.release_sale(sale_id)
