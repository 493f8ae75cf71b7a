"""Stock levels: set (upsert) on-hand, list per store, unknown store or sku."""

from __future__ import annotations

import pytest

from inventory import InvalidRequest, Inventory, NotFound, Product, StockLevel, Store


@pytest.fixture
async def shop(inventory: Inventory) -> Inventory:
    await inventory.create_store(Store("S1", "One", "Shanghai", 31.2, 121.4))
    await inventory.create_store(Store("S2", "Two", "Shanghai", 31.1, 121.5))
    await inventory.create_product(Product("A", "Apple", 100))
    await inventory.create_product(Product("B", "Banana", 50))
    return inventory


async def test_set_on_hand_creates_then_replaces(shop: Inventory) -> None:
    assert await shop.set_on_hand("S1", "A", 7) == StockLevel("S1", "A", 7, 0)
    assert await shop.set_on_hand("S1", "A", 3) == StockLevel("S1", "A", 3, 0)
    assert await shop.set_on_hand("S1", "A", 0) == StockLevel("S1", "A", 0, 0)
    assert await shop.list_stock("S1") == [StockLevel("S1", "A", 0, 0)]


async def test_list_stock_is_per_store_and_sorted(shop: Inventory) -> None:
    await shop.set_on_hand("S1", "B", 2)
    await shop.set_on_hand("S1", "A", 1)
    await shop.set_on_hand("S2", "A", 9)
    assert await shop.list_stock("S1") == [StockLevel("S1", "A", 1, 0), StockLevel("S1", "B", 2, 0)]
    assert await shop.list_stock("S2") == [StockLevel("S2", "A", 9, 0)]


async def test_unknown_store_or_sku_is_not_found_and_changes_nothing(shop: Inventory) -> None:
    with pytest.raises(NotFound) as info:
        await shop.set_on_hand("S9", "A", 1)
    assert info.value.details == {"resource": "store", "id": "S9"}
    with pytest.raises(NotFound) as info:
        await shop.set_on_hand("S1", "Z", 1)
    assert info.value.details == {"resource": "product", "id": "Z"}
    with pytest.raises(NotFound):
        await shop.list_stock("S9")
    assert await shop.list_stock("S1") == []


@pytest.mark.parametrize("bad", [-1, True, 1.5, "3"])
async def test_quantity_must_be_a_non_negative_int(shop: Inventory, bad: object) -> None:
    with pytest.raises(InvalidRequest) as info:
        await shop.set_on_hand("S1", "A", bad)  # type: ignore[arg-type]
    assert info.value.details == {"field": "quantity"}
    assert await shop.list_stock("S1") == []
