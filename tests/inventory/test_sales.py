"""Reading sale records back: terms, allocations, timestamps in UTC, unsettled filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from inventory import AllocationRecord, Inventory, NotFound


async def test_sale_record_keeps_the_terms_in_utc(stocked: Inventory, make_sale) -> None:
    cst = timezone(timedelta(hours=8))
    sale = replace(
        make_sale("F1", ("S2", 5), ("S1", 7)),
        starts_at=datetime(2030, 5, 1, 20, 0, tzinfo=cst),
        ends_at=datetime(2030, 5, 1, 20, 30, tzinfo=cst),
    )
    await stocked.allocate_sale(sale)
    record = await stocked.get_sale("F1")
    assert record.starts_at == datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    assert record.starts_at.utcoffset() == timedelta(0)
    assert record.ends_at == datetime(2030, 5, 1, 12, 30, tzinfo=UTC)
    assert (record.sku, record.price_cents, record.per_user_limit, record.payment_timeout_s) == (
        "TEA-1",
        9_900,
        2,
        300,
    )
    assert (record.created_by, record.room_id, record.settled_at) == ("ops-1", "R1", None)
    assert record.created_at.tzinfo is not None
    assert record.allocations == (AllocationRecord("S1", 7), AllocationRecord("S2", 5))
    assert record.allocated == 12


async def test_list_sales_can_skip_settled_ones(stocked: Inventory, make_sale) -> None:
    for sale_id in ("F1", "F2", "F3"):
        await stocked.allocate_sale(make_sale(sale_id, ("S1", 1)))
    await stocked.settle_sale("F2", {})
    assert {s.id for s in await stocked.list_sales()} == {"F1", "F2", "F3"}
    assert {s.id for s in await stocked.list_sales(unsettled_only=True)} == {"F1", "F3"}
    assert all(len(s.allocations) == 1 for s in await stocked.list_sales())


async def test_clock_is_injected(database_url: str, make_sale) -> None:
    fixed = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
    inv = Inventory(database_url, clock=lambda: fixed)
    await inv.start()
    try:
        from inventory import Product, Store

        await inv.create_store(Store("S1", "One", "Shanghai", 31.2, 121.4))
        await inv.create_product(Product("TEA-1", "Tea", 1))
        await inv.set_on_hand("S1", "TEA-1", 5)
        await inv.allocate_sale(make_sale("F1", ("S1", 5)))
        await inv.settle_sale("F1", {})
        record = await inv.get_sale("F1")
    finally:
        await inv.stop()
    assert record.created_at == fixed
    assert record.settled_at == fixed


async def test_unknown_sale_is_not_found(inventory: Inventory) -> None:
    with pytest.raises(NotFound) as info:
        await inventory.get_sale("F404")
    assert info.value.details == {"resource": "flash_sale", "id": "F404"}
