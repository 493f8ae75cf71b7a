"""Settlement: a finished sale returns its unsold units to the stores exactly once, whoever races to
do it, and leaves the active set only after the ledger has its whole stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from flash_sale.keys import ACTIVE_SALES
from flash_sale.settlement import Settlement
from inventory import Inventory
from livecommerce.adapters import InventorySettler
from tests.ledger_stack import ON_HAND, LedgerStack, ledger_stack, storm, wait_until

ALLOCATION = {"S1": 50, "S2": 30, "S3": 20}


@pytest.fixture
async def stack(redis_client: aioredis.Redis, database_url: str) -> AsyncIterator[LedgerStack]:
    async with ledger_stack(redis_client, database_url) as s:
        yield s


async def _levels(inv: Inventory) -> dict[str, tuple[int, int]]:
    return {s: next((x.on_hand, x.allocated) for x in await inv.list_stock(s) if x.sku == "SKU1") for s in ALLOCATION}


async def _retired(stack: LedgerStack, sale: str) -> bool:
    return not await stack.client.sismember(ACTIVE_SALES, sale)


async def _never_drained() -> bool:
    return False


async def test_racing_settlers_return_unsold_stock_once_then_retire_the_sale(
    stack: LedgerStack, database_url: str
) -> None:
    sale = await stack.new_sale(ALLOCATION)
    acked = await storm(stack.core, sale, 60, pay_every=2, cancel_every=5)
    first = stack.settlement()
    assert await first.check(sale, _never_drained) == "open", "a running sale is not settled"
    await stack.core.sales.close(sale)
    assert await first.check(sale, _never_drained) == "open", "reservations are still out"
    for order_id, status in acked.items():
        if status == "reserved":
            await stack.core.orders.cancel(order_id, (await stack.core.orders.get(order_id))["user_id"])
    snap = await stack.core.sales.snapshot(sale)
    assert snap.reserved == 0 and snap.sold == 30 and snap.remaining == 70

    other = Inventory(database_url)  # a second process: its own engine and pool
    await other.start()
    try:
        second = Settlement(stack.core.sales, InventorySettler(other))
        outcomes = await asyncio.gather(first.check(sale, _never_drained), second.check(sale, _never_drained),
                                        first.check(sale, _never_drained))
        assert outcomes == ["settled"] * 3, "not retired while the ledger has not read the stream"
        assert first.settled + second.settled == 1, "exactly one settler returned the stock"
        levels = await _levels(stack.inventory)
        expected = {s: (ON_HAND - q + snap.remaining_by_store[s], 0) for s, q in ALLOCATION.items()}
        assert levels == expected
        assert (await stack.core.sales.snapshot(sale)).meta["state"] == "settled"
        assert await stack.client.sismember(ACTIVE_SALES, sale)

        workers = [stack.worker(f"w{i}", on_housekeeping=s.check, housekeeping_s=0.05)
                   for i, s in enumerate((first, second))]
        for w in workers:
            await w.start()
        try:
            await wait_until(lambda: _retired(stack, sale))
        finally:
            for w in workers:
                await w.stop()
        assert first.settled + second.settled == 1
        assert await _levels(stack.inventory) == expected, "the stock came back once"
        assert (await stack.inventory.get_sale(sale)).settled_at is not None
        assert await stack.ledger.order_statuses(sale) == await stack.redis_statuses(sale)
    finally:
        await other.stop()
