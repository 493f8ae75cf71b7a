"""Unpaid reservations expire and their stock returns exactly once, whoever sweeps."""

from __future__ import annotations

import asyncio

import pytest

from flash_sale import FlashSaleCore, errors
from flash_sale.audit import audit_sale
from flash_sale.sweeper import ExpirySweeper
from tests.flash_sale.conftest import MakeSale
from tests.flash_sale.test_orders import pickup


async def test_expiry_returns_stock_to_a_later_buyer(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 1}, payment_timeout_s=1)
    order_id = (await core.orders.buy(pickup(sale, "u1"))).order["order_id"]
    with pytest.raises(errors.SoldOut):
        await core.orders.buy(pickup(sale, "u2"))
    assert await core.sweeper.sweep_once() == 0, "nothing is due before the deadline"
    await asyncio.sleep(1.1)
    assert await core.sweeper.sweep_once() == 1
    assert (await core.orders.get(order_id))["status"] == "expired"
    with pytest.raises(errors.Expired):
        await core.orders.pay(order_id, "u1")
    await asyncio.sleep(0.05)
    later = await core.orders.buy(pickup(sale, "u2", key="k2"))
    assert later.created and later.order["store_id"] == "S1"
    assert (await audit_sale(core.client, sale)).ok


async def test_pay_after_deadline_expires_and_refunds(core: FlashSaleCore, make_sale: MakeSale, payments) -> None:
    sale = await make_sale({"S1": 1}, payment_timeout_s=1)
    order_id = (await core.orders.buy(pickup(sale, "u1"))).order["order_id"]
    await asyncio.sleep(1.05)
    with pytest.raises(errors.Expired):  # the sweeper has not run: pay itself closes the order
        await core.orders.pay(order_id, "u1")
    assert payments.net_charges_by_order()[order_id] == 0, "a charge for an expired order is refunded"
    snap = await core.sales.snapshot(sale)
    assert (snap.remaining, snap.reserved, snap.sold) == (1, 0, 0)
    assert await core.sweeper.sweep_once() == 0, "already returned: never twice"
    assert (await audit_sale(core.client, sale)).ok


async def test_concurrent_sweepers_return_each_unit_once(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 150, "S2": 150}, payment_timeout_s=1)
    await asyncio.gather(*(
        core.orders.buy(pickup(sale, f"u{i}", store="S1" if i % 2 else "S2")) for i in range(300)
    ))
    assert (await core.sales.snapshot(sale)).remaining == 0
    await asyncio.sleep(1.1)
    sweepers = [ExpirySweeper(core.sales, core.orders, batch=7) for _ in range(4)]
    counts = await asyncio.gather(*(s.sweep_once() for s in sweepers for _ in range(3)))
    assert sum(counts) == 300, "every order expires exactly once across all sweepers"
    snap = await core.sales.snapshot(sale)
    assert (snap.remaining, snap.reserved, snap.sold) == (300, 0, 0)
    assert snap.remaining_by_store == {"S1": 150, "S2": 150}
    audit = await audit_sale(core.client, sale)
    assert audit.ok, audit.problems
    assert audit.orders_by_status["expired"] == 300


async def test_background_sweeper_runs_by_itself(redis_client, allocator, payments, make_sale) -> None:
    other = FlashSaleCore(redis_client, allocator, payments, sweep_interval_s=0.1)
    await other.start()
    try:
        sale = await make_sale({"S1": 1}, payment_timeout_s=1)
        await other.orders.buy(pickup(sale, "u1"))
        for _ in range(40):
            await asyncio.sleep(0.1)
            if (await other.sales.snapshot(sale)).remaining == 1:
                break
        assert (await other.sales.snapshot(sale)).remaining == 1
    finally:
        await other.stop()
