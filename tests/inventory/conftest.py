"""Fixtures for the inventory tests: a started facade per database, and a factory of sale requests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from inventory import Inventory, Product, SaleAllocation, Store

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

STORES = (
    Store("S1", "Jing'an", "Shanghai", 31.2286, 121.4484),
    Store("S2", "Xuhui", "Shanghai", 31.1884, 121.4365),
    Store("S3", "Pudong", "Shanghai", 31.2214, 121.5447),
)
SKU = "TEA-1"

SaleFactory = Callable[..., SaleAllocation]


@pytest.fixture
async def inventory(database_url: str) -> AsyncIterator[Inventory]:
    inv = Inventory(database_url)
    await inv.start()
    yield inv
    await inv.stop()


@pytest.fixture
async def stocked(inventory: Inventory) -> Inventory:
    """Three stores and one product, with 100 / 50 / 10 units on hand."""
    for store in STORES:
        await inventory.create_store(store)
    await inventory.create_product(Product(SKU, "Longjing tea 250 g", 12_800))
    for store, units in zip(STORES, (100, 50, 10), strict=True):
        await inventory.set_on_hand(store.id, SKU, units)
    return inventory


@pytest.fixture
def make_sale() -> SaleFactory:
    def make(sale_id: str, *allocations: tuple[str, int], sku: str = SKU) -> SaleAllocation:
        return SaleAllocation(
            id=sale_id,
            sku=sku,
            price_cents=9_900,
            starts_at=T0,
            ends_at=T0 + timedelta(minutes=10),
            per_user_limit=2,
            payment_timeout_s=300,
            created_by="ops-1",
            allocations=tuple(allocations),
            room_id="R1",
        )

    return make


Levels = Callable[[Inventory], Awaitable[dict[str, tuple[int, int]]]]


async def _levels(inv: Inventory, sku: str = SKU) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for store in await inv.list_stores():
        for level in await inv.list_stock(store.id):
            if level.sku == sku:
                out[store.id] = (level.on_hand, level.allocated)
    return out


@pytest.fixture
def levels() -> Levels:
    """(on_hand, allocated) of the test sku in every store, read through the facade."""
    return _levels
