"""The fakes of the test suite, in one place. Only parts that are not under test are faked."""

from __future__ import annotations

from collections.abc import Sequence

from flash_sale.types import AllocatedStore, SaleSpec

# Real department stores' neighbourhoods in Shanghai (lat, lng).
STORES = {
    "S1": (31.2353, 121.4747),  # People's Square
    "S2": (31.2304, 121.4451),  # Jing'an
    "S3": (31.1886, 121.4394),  # Xujiahui
}


class MemoryAllocator:
    """Stands in for the inventory of record where a test is about Redis only."""

    def __init__(self, on_hand: dict[str, int] | None = None) -> None:
        self.on_hand = dict(on_hand or {s: 10_000 for s in STORES})
        self.sales: dict[str, SaleSpec] = {}
        self.released: list[str] = []

    async def allocate(self, sale: SaleSpec) -> Sequence[AllocatedStore]:
        shares = []
        for a in sale.allocations:
            if a.store_id not in STORES:
                raise LookupError(a.store_id)
            if self.on_hand[a.store_id] < a.quantity:
                err = RuntimeError("insufficient")
                err.code = "insufficient_stock"  # type: ignore[attr-defined]
                raise err
        for a in sale.allocations:
            self.on_hand[a.store_id] -= a.quantity
            lat, lng = STORES[a.store_id]
            shares.append(AllocatedStore(a.store_id, a.quantity, lat, lng))
        self.sales[sale.id] = sale
        return shares

    async def release_allocation(self, sale_id: str) -> None:
        sale = self.sales.pop(sale_id)
        for a in sale.allocations:
            self.on_hand[a.store_id] += a.quantity
        self.released.append(sale_id)
