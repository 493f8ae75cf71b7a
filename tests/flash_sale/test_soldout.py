"""After a sell-out, buys are answered in-process, without breaking idempotency or restocks."""

from __future__ import annotations

import asyncio

import pytest

from flash_sale import FlashSaleCore, errors
from tests.flash_sale.conftest import MakeSale
from tests.flash_sale.test_orders import pickup


async def _until(pred, within_s: float = 2.0) -> None:
    for _ in range(int(within_s / 0.02)):
        if pred():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_sold_out_answered_locally_but_holders_get_their_order(
    core: FlashSaleCore, make_sale: MakeSale
) -> None:
    sale = await make_sale({"S1": 2})
    a = await core.orders.buy(pickup(sale, "u1", "ka"))
    await core.orders.buy(pickup(sale, "u2", "kb"))
    with pytest.raises(errors.SoldOut):
        await core.orders.buy(pickup(sale, "u3"))
    await _until(lambda: core.sold_out.is_marked(sale))
    calls_before = core.buyer.calls
    for i in range(50):
        with pytest.raises(errors.SoldOut):
            await core.orders.buy(pickup(sale, f"late{i}"))
    assert core.buyer.calls == calls_before, "sold-out buys must not reach Redis"
    retry = await core.orders.buy(pickup(sale, "u1", "ka"))
    assert not retry.created and retry.order["order_id"] == a.order["order_id"]


async def test_restock_in_another_process_clears_the_mark(
    core: FlashSaleCore, make_sale: MakeSale, redis_client, allocator, payments
) -> None:
    sale = await make_sale({"S1": 1})
    order_id = (await core.orders.buy(pickup(sale, "u1"))).order["order_id"]
    with pytest.raises(errors.SoldOut):
        await core.orders.buy(pickup(sale, "u2"))
    await _until(lambda: core.sold_out.is_marked(sale))
    other = FlashSaleCore(redis_client, allocator, payments, run_sweeper=False)
    await other.start()
    try:
        await other.orders.cancel(order_id, "u1")
    finally:
        await other.stop()
    await _until(lambda: not core.sold_out.is_marked(sale))
    assert (await core.orders.buy(pickup(sale, "u2", "k2"))).created


async def test_scripts_reload_after_script_flush(core: FlashSaleCore, make_sale: MakeSale) -> None:
    """A restarted or failed-over Redis has an empty script cache: calls reload and go on."""
    sale = await make_sale({"S1": 5})
    await core.client.script_flush()
    assert (await core.orders.buy(pickup(sale, "u1"))).created
    await core.client.script_flush()
    assert (await core.sales.snapshot(sale)).reserved == 1
    await core.client.script_flush()
    results = await asyncio.gather(*(core.orders.buy(pickup(sale, f"x{i}")) for i in range(4)))
    assert all(r.created for r in results)
