"""Stores and products: create, read back, duplicates and unknown ids."""

from __future__ import annotations

import asyncio

import pytest

from inventory import AlreadyExists, Inventory, InventoryError, NotFound, Product, Store

S1 = Store("S1", "Jing'an", "Shanghai", 31.2286, 121.4484)
S2 = Store("S2", "West Lake", "Hangzhou", 30.2431, -120.1551)


async def test_stores_round_trip_and_list_in_id_order(inventory: Inventory) -> None:
    assert await inventory.create_store(S2) == S2
    await inventory.create_store(S1)
    assert await inventory.get_store("S1") == S1
    assert await inventory.list_stores() == [S1, S2]


async def test_duplicate_store_is_rejected_and_keeps_the_original(inventory: Inventory) -> None:
    await inventory.create_store(S1)
    with pytest.raises(AlreadyExists) as info:
        await inventory.create_store(Store("S1", "Other", "Beijing", 39.9, 116.4))
    assert info.value.code == "already_exists"
    assert info.value.details == {"resource": "store", "id": "S1"}
    assert await inventory.get_store("S1") == S1


async def test_concurrent_creates_of_one_store_yield_exactly_one(database_url: str) -> None:
    a, b = Inventory(database_url), Inventory(database_url)
    await a.start()
    await b.start()
    try:
        results = await asyncio.gather(
            *(inv.create_store(S1) for inv in (a, b, a, b)), return_exceptions=True
        )
        assert sum(isinstance(r, Store) for r in results) == 1
        assert sum(isinstance(r, AlreadyExists) for r in results) == 3
    finally:
        await a.stop()
        await b.stop()


async def test_unknown_store_is_not_found(inventory: Inventory) -> None:
    with pytest.raises(NotFound) as info:
        await inventory.get_store("nope")
    assert isinstance(info.value, InventoryError)
    assert info.value.code == "not_found"
    assert info.value.details == {"resource": "store", "id": "nope"}


async def test_products_round_trip(inventory: Inventory) -> None:
    tea = Product("TEA-1", "Longjing 250 g", 12_800, "https://cdn.example.com/tea.jpg")
    cup = Product("CUP-1", "Cup", 0)
    await inventory.create_product(tea)
    await inventory.create_product(cup)
    assert await inventory.get_product("TEA-1") == tea
    assert await inventory.list_products() == [cup, tea]
    with pytest.raises(AlreadyExists):
        await inventory.create_product(Product("TEA-1", "Other", 1))
    assert await inventory.get_product("TEA-1") == tea
    with pytest.raises(NotFound):
        await inventory.get_product("TEA-2")


async def test_large_prices_survive(inventory: Inventory) -> None:
    await inventory.create_product(Product("GOLD", "Gold bar", 1_000_000_000))
    assert (await inventory.get_product("GOLD")).price_cents == 1_000_000_000
