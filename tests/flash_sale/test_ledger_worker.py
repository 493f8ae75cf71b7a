"""The ledger worker: every acknowledged order reaches SQL with its status, through storms, duplicates,
reordering after a reclaim, a dead consumer and a Redis restart. Real Redis, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import prometheus_client
import pytest
import redis.asyncio as aioredis

from flash_sale._ledger_events import fold
from flash_sale._stream_group import GROUP, stream_key
from flash_sale.reconcile import reconcile_sale
from tests.conftest import RedisProcess
from tests.ledger_stack import LedgerStack, assert_ledger_matches, ledger_stack, storm


@pytest.fixture
async def stack(redis_client: aioredis.Redis, database_url: str) -> AsyncIterator[LedgerStack]:
    async with ledger_stack(redis_client, database_url) as s:
        yield s


async def test_storm_with_the_worker_running_lands_every_order(stack: LedgerStack) -> None:
    sale = await stack.new_sale()
    registry = prometheus_client.CollectorRegistry()
    worker = stack.worker("w1", registry=registry, housekeeping_s=0.2)
    await worker.start()
    try:
        acked = await storm(stack.core, sale, 3000)
        assert len(acked) == 3000
        assert await worker.drain([sale], timeout_s=20)
        await asyncio.sleep(0.3)  # one housekeeping round refreshes the gauge
        assert registry.get_sample_value("lc_ledger_lag") == 0
    finally:
        await worker.stop()
    assert set((await stack.ledger.order_statuses(sale)).values()) == {"reserved", "paid", "cancelled"}
    await assert_ledger_matches(stack, sale, acked)
    row = await stack.ledger.get_order(next(iter(acked)))
    assert row is not None and row["sku"] == "SKU1" and row["amount_cents"] == 9900
    assert (await stack.inventory.get_order(row["order_id"])).host_id == "host-alice"  # type: ignore[union-attr]


def test_folding_keeps_one_record_per_order_and_only_moves_forward() -> None:
    rec = '{"order_id":"s-1","sale_id":"s","user_id":"u","status":"reserved","quantity":1}'
    batch = fold([
        {"type": "paid", "order_id": "s-1", "payment_ref": "p1", "ts_ms": "20"},   # reclaimed late: before
        {"type": "reserved", "order_id": "s-1", "order": rec, "ts_ms": "10"},        # its reservation
        {"type": "reserved", "order_id": "s-1", "order": rec, "ts_ms": "10"},        # and a duplicate
        {"type": "expired", "order_id": "s-2", "ts_ms": "30"},                       # record in Redis only
        {"type": "bogus"},
    ])
    assert batch.records["s-1"]["status"] == "paid" and batch.records["s-1"]["payment_ref"] == "p1"
    assert batch.needs_record == ["s-2"] and batch.skipped == 1


async def test_duplicates_and_late_entries_after_a_reclaim_never_reopen_an_order(stack: LedgerStack) -> None:
    sale = await stack.new_sale()
    (a,) = await storm(stack.core, sale, 1, first=0, pay_every=100, cancel_every=100)
    dead = stack.worker("dead")
    got = await dead.group.read([sale], 1)  # a consumer takes a's reservation and dies before writing it
    assert [f["type"] for _, f in got[sale]] == ["reserved"]
    await stack.core.orders.pay(a, "u0")
    (b,) = await storm(stack.core, sale, 1, first=1, pay_every=100, cancel_every=1)
    live = stack.worker("live")
    assert await live.step([sale]) == 3  # a's payment (record read from Redis), b's reservation and cancel
    assert await stack.ledger.order_statuses(sale) == {a: "paid", b: "cancelled"}
    entries = await stack.client.xrange(stream_key(sale))
    for _, fields in sorted(entries, key=lambda e: e[1]["type"] == "reserved"):
        await stack.client.xadd(stream_key(sale), fields)  # every entry again, reservations last
    await asyncio.sleep(0.25)
    assert await live.reclaim([sale], min_idle_ms=200) == 1, "the dead consumer's entry is taken over"
    while await live.step([sale]):
        pass
    assert await stack.ledger.order_statuses(sale) == {a: "paid", b: "cancelled"}
    assert (await live.backlog([sale]))[sale] == 0
    assert (await reconcile_sale(stack.client, stack.ledger, sale)).ok


class _StuckSink:
    """A sink that accepts a few batches, then hangs: the worker dies mid-batch, entries unacked."""

    def __init__(self, inner: Any, good: int) -> None:
        self.inner, self.good = inner, good

    async def record(self, orders: Sequence[Mapping[str, Any]]) -> None:
        if self.good <= 0:
            await asyncio.Event().wait()
        self.good -= 1
        await self.inner.record(orders)


async def test_a_worker_killed_mid_batch_is_taken_over(stack: LedgerStack) -> None:
    sale = await stack.new_sale()
    doomed = stack.worker("doomed", batch=200)
    doomed._sink = _StuckSink(stack.ledger, good=2)
    await doomed.start()
    acked = await storm(stack.core, sale, 2000)
    await asyncio.sleep(0.2)
    pending = await stack.client.xpending(stream_key(sale), GROUP)
    assert pending["pending"] > 0, "the dead worker holds entries it never acknowledged"
    doomed._task.cancel()  # type: ignore[union-attr]  # killed: no clean stop, its entries stay pending
    heir = stack.worker("heir", claim_idle_ms=300, housekeeping_s=0.1)
    await heir.start()
    try:
        assert await heir.drain([sale], timeout_s=20, claim_idle_ms=300)
    finally:
        await heir.stop()
    assert heir.reclaimed > 0
    await assert_ledger_matches(stack, sale, acked)


async def test_redis_restart_during_a_storm_loses_no_acknowledged_order_or_payment(
    stack: LedgerStack, redis_process: RedisProcess
) -> None:
    await stack.client.config_set("appendfsync", "always")
    sale = await stack.new_sale()
    worker = stack.worker("w1", housekeeping_s=0.2)
    await worker.start()
    try:
        storming = asyncio.create_task(storm(stack.core, sale, 2500, retry=True, concurrency=100))
        await asyncio.sleep(0.15)
        await asyncio.to_thread(redis_process.restart)
        await stack.client.config_set("appendfsync", "always")
        acked = await storming
        assert await worker.drain([sale], timeout_s=20)
    finally:
        await worker.stop()
    assert len(acked) == 2500
    await assert_ledger_matches(stack, sale, acked)
    charges = stack.payments.net_charges_by_order()
    paid = {o for o, s in acked.items() if s == "paid"}
    assert {o for o, n in charges.items() if n} == paid, "every paid order charged, nothing lost"
    doubled = sorted(o for o, n in charges.items() if n > 1)
    assert not doubled, f"charged twice: {doubled[:3]} (the provider is idempotent per order)"
