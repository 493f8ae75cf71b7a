"""Allocating stock into flash sales, releasing it, settling it: all or nothing, once, race-free."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

import pytest

from inventory import (
    AlreadyExists,
    InsufficientStock,
    InvalidRequest,
    InvalidState,
    Inventory,
    NotFound,
    Product,
    StoreShare,
)

BEFORE = {"S1": (100, 0), "S2": (50, 0), "S3": (10, 0)}


async def test_allocation_moves_quantity_from_on_hand_to_allocated(stocked, make_sale, levels) -> None:
    shares = await stocked.allocate_sale(make_sale("F1", ("S2", 20), ("S1", 30)))
    assert shares == [
        StoreShare("S2", 20, 31.1884, 121.4365),
        StoreShare("S1", 30, 31.2286, 121.4484),
    ]
    assert await levels(stocked) == {"S1": (70, 30), "S2": (30, 20), "S3": (10, 0)}


async def test_allocation_may_take_everything(stocked, make_sale, levels) -> None:
    await stocked.allocate_sale(make_sale("F1", ("S3", 10)))
    assert (await levels(stocked))["S3"] == (0, 10)


async def test_shortage_in_the_third_store_changes_nothing_anywhere(stocked, make_sale, levels) -> None:
    with pytest.raises(InsufficientStock) as info:
        await stocked.allocate_sale(make_sale("F1", ("S1", 10), ("S2", 10), ("S3", 11)))
    assert info.value.code == "insufficient_stock"
    assert info.value.details == {"store_id": "S3", "sku": "TEA-1", "available": 10, "requested": 11}
    assert await levels(stocked) == BEFORE
    assert await stocked.list_sales() == []
    with pytest.raises(NotFound):
        await stocked.get_sale("F1")


async def test_store_without_a_stock_row_has_nothing_to_allocate(stocked, make_sale, levels) -> None:
    await stocked.create_product(Product("CUP", "Cup", 500))
    await stocked.set_on_hand("S1", "CUP", 5)
    with pytest.raises(InsufficientStock) as info:
        await stocked.allocate_sale(make_sale("F1", ("S1", 5), ("S2", 1), sku="CUP"))
    assert info.value.details["available"] == 0
    assert [(x.sku, x.on_hand, x.allocated) for x in await stocked.list_stock("S1")] == [
        ("CUP", 5, 0),
        ("TEA-1", 100, 0),
    ]


@pytest.mark.parametrize(
    ("allocations", "sku", "resource", "ident"),
    [
        ((("S1", 1), ("S9", 1)), "TEA-1", "store", "S9"),
        ((("S1", 1),), "NOPE", "product", "NOPE"),
    ],
)
async def test_unknown_store_or_sku_is_not_found(
    stocked, make_sale, levels, allocations, sku, resource, ident
) -> None:
    with pytest.raises(NotFound) as info:
        await stocked.allocate_sale(make_sale("F1", *allocations, sku=sku))
    assert info.value.details == {"resource": resource, "id": ident}
    assert await levels(stocked) == BEFORE
    assert await stocked.list_sales() == []


async def test_invalid_allocations_are_rejected_before_touching_stock(stocked, make_sale, levels) -> None:
    cases = [
        (make_sale("F1", ("S1", 5), ("S1", 5)), "allocations.1.store_id"),
        (make_sale("F1"), "allocations"),
        (make_sale("F1", ("S1", 0)), "allocations.0.quantity"),
        (make_sale("F1", ("S1", 5), ("S2", -3)), "allocations.1.quantity"),
        (replace(make_sale("F1", ("S1", 5)), starts_at=datetime(2030, 1, 1)), "starts_at"),
        (replace(make_sale("F1", ("S1", 5)), ends_at=make_sale("x").starts_at), "ends_at"),
    ]
    for sale, field in cases:
        with pytest.raises(InvalidRequest) as info:
            await stocked.allocate_sale(sale)
        assert info.value.code == "invalid_request"
        assert info.value.details == {"field": field}, sale
    assert await levels(stocked) == BEFORE
    assert await stocked.list_sales() == []


async def test_duplicate_sale_id_is_rejected_and_changes_nothing(stocked, make_sale, levels) -> None:
    await stocked.allocate_sale(make_sale("F1", ("S1", 10)))
    with pytest.raises(AlreadyExists):
        await stocked.allocate_sale(make_sale("F1", ("S2", 10)))
    assert await levels(stocked) == {"S1": (90, 10), "S2": (50, 0), "S3": (10, 0)}


async def test_concurrent_allocations_never_oversell(database_url, stocked, make_sale, levels) -> None:
    """20 sales race from two processes-worth of engines for 10 x S1 + 7 x S2 each: 7 can fit."""
    other = Inventory(database_url)
    await other.start()
    try:
        sales = [
            make_sale(f"F{i}", ("S1", 10), ("S2", 7)) if i % 2 else make_sale(f"F{i}", ("S2", 7), ("S1", 10))
            for i in range(20)
        ]
        results = await asyncio.gather(
            *(inv.allocate_sale(sale) for inv, sale in zip([stocked, other] * 10, sales, strict=True)),
            return_exceptions=True,
        )
    finally:
        await other.stop()
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(won) + len(lost) == 20, [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 7  # S2 holds 50: 7 x 7 = 49
    assert await levels(stocked) == {"S1": (100 - 70, 70), "S2": (50 - 49, 49), "S3": (10, 0)}
    assert len(await stocked.list_sales()) == 7


async def test_release_restores_everything_and_forgets_the_sale(stocked, make_sale, levels) -> None:
    await stocked.allocate_sale(make_sale("F1", ("S1", 10), ("S3", 10)))
    await stocked.allocate_sale(make_sale("F2", ("S1", 5)))
    await stocked.release_sale("F1")
    assert await levels(stocked) == {"S1": (95, 5), "S2": (50, 0), "S3": (10, 0)}
    assert [s.id for s in await stocked.list_sales()] == ["F2"]
    await stocked.release_sale("F1")  # compensation is idempotent
    await stocked.release_sale("never-existed")
    assert await levels(stocked) == {"S1": (95, 5), "S2": (50, 0), "S3": (10, 0)}
    await stocked.allocate_sale(make_sale("F1", ("S1", 95)))  # the id is free again
    assert (await levels(stocked))["S1"] == (0, 100)


async def test_concurrent_releases_give_back_once(database_url, stocked, make_sale, levels) -> None:
    await stocked.allocate_sale(make_sale("F1", ("S1", 40), ("S2", 20)))
    other = Inventory(database_url)
    await other.start()
    try:
        await asyncio.gather(stocked.release_sale("F1"), other.release_sale("F1"))
    finally:
        await other.stop()
    assert await levels(stocked) == BEFORE


async def test_settle_returns_unsold_and_clears_the_allocation(stocked, make_sale, levels) -> None:
    await stocked.allocate_sale(make_sale("F1", ("S1", 30), ("S2", 20), ("S3", 10)))
    assert await stocked.settle_sale("F1", {"S1": 12, "S2": 0}) is True
    # S1 sold 18, S2 sold 20, S3 (absent) sold all 10; nothing stays allocated.
    assert await levels(stocked) == {"S1": (70 + 12, 0), "S2": (30, 0), "S3": (0, 0)}
    record = await stocked.get_sale("F1")
    assert record.settled_at is not None and record.settled_at.utcoffset() is not None
    assert [(a.store_id, a.quantity, a.returned) for a in record.allocations] == [
        ("S1", 30, 12),
        ("S2", 20, 0),
        ("S3", 10, 0),
    ]
    assert await stocked.settle_sale("F1", {"S1": 30}) is False
    assert await levels(stocked) == {"S1": (82, 0), "S2": (30, 0), "S3": (0, 0)}


async def test_concurrent_settles_return_unsold_exactly_once(
    database_url, stocked, make_sale, levels
) -> None:
    await stocked.allocate_sale(make_sale("F1", ("S1", 30), ("S2", 20)))
    other = Inventory(database_url)
    await other.start()
    try:
        outcomes = await asyncio.gather(
            stocked.settle_sale("F1", {"S1": 10, "S2": 5}), other.settle_sale("F1", {"S1": 10, "S2": 5})
        )
    finally:
        await other.stop()
    assert sorted(outcomes) == [False, True]
    assert await levels(stocked) == {"S1": (80, 0), "S2": (35, 0), "S3": (10, 0)}


async def test_invalid_settlement_changes_nothing(stocked, make_sale, levels) -> None:
    await stocked.allocate_sale(make_sale("F1", ("S1", 30)))
    for unsold, field in [
        ({"S2": 1}, "unsold_by_store.S2"),
        ({"S1": 31}, "unsold_by_store.S1"),
        ({"S1": -1}, "unsold_by_store.S1"),
    ]:
        with pytest.raises(InvalidRequest) as info:
            await stocked.settle_sale("F1", unsold)
        assert info.value.details == {"field": field}
    assert (await levels(stocked))["S1"] == (70, 30)
    assert (await stocked.get_sale("F1")).settled_at is None
    assert await stocked.settle_sale("F1", {"S1": 30}) is True
    assert (await levels(stocked))["S1"] == (100, 0)


async def test_settle_unknown_sale_is_not_found(stocked) -> None:
    with pytest.raises(NotFound):
        await stocked.settle_sale("nope", {})


async def test_a_settled_sale_cannot_be_released(stocked, make_sale, levels) -> None:
    await stocked.allocate_sale(make_sale("F1", ("S1", 30)))
    await stocked.settle_sale("F1", {"S1": 5})
    with pytest.raises(InvalidState) as info:
        await stocked.release_sale("F1")
    assert info.value.code == "invalid_state"
    assert (await levels(stocked))["S1"] == (75, 0)
