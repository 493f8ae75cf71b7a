"""The flash-sale core on a real Redis Cluster (3 masters, 3 replicas): storms on an ordinary and a
hot sale, buckets on distinct masters, and a master killed mid-storm with replica durability."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio.cluster import RedisCluster

from flash_sale.audit import audit_sale
from flash_sale.durability import Durability, DurabilityPolicy
from flash_sale.keys import sale_keys
from livecommerce.redis_client import connect_redis
from tests.ledger_stack import LedgerStack, assert_ledger_matches, ledger_stack, storm
from tests.redis_cluster import LocalCluster

STOCK = {"S1": 300, "S2": 300, "S3": 300}


@pytest.fixture
def cluster(redis_cluster: LocalCluster) -> LocalCluster:
    return redis_cluster


@pytest.fixture
async def cluster_stack(cluster_url: str, sqlite_url: str) -> AsyncIterator[LedgerStack]:
    client = connect_redis(cluster_url)
    assert isinstance(client, RedisCluster)
    async with ledger_stack(client, sqlite_url) as stack:  # type: ignore[arg-type]
        yield stack
    await client.aclose()


async def _settle_books(stack: LedgerStack, sale: str, acked: dict[str, str]) -> None:
    worker = stack.worker("w1")
    assert await worker.drain([sale], timeout_s=30)
    await assert_ledger_matches(stack, sale, acked)


async def test_storm_on_a_cluster_sells_exactly_the_allocation(cluster_stack: LedgerStack) -> None:
    sale = await cluster_stack.new_sale(STOCK)
    acked = await storm(cluster_stack.core, sale, 1100, cancel_every=10**9)
    snap = await cluster_stack.core.sales.snapshot(sale)
    assert len(acked) == 900 and snap.remaining == 0 and snap.reserved + snap.sold == 900
    await _settle_books(cluster_stack, sale, acked)


async def test_hot_sale_spreads_over_masters_and_still_sells_out_exactly(
    cluster_stack: LedgerStack, cluster: LocalCluster
) -> None:
    sale = await cluster_stack.new_sale(STOCK, shards=3)
    buckets = await cluster_stack.core.sales.layout.buckets(sale)
    assert len(buckets) == 3
    assert len({cluster.master_of(sale_keys(b)[0]) for b in buckets}) == 3, "one bucket per master"
    # 1000 buyers on 900 units: the user hash never splits them 300/300/300, so dry buckets must be refilled
    acked = await storm(cluster_stack.core, sale, 1000, cancel_every=10**9)
    snap = await cluster_stack.core.sales.snapshot(sale)
    assert len(acked) == 900, "every unit sold, none twice"
    assert (snap.allocated, snap.remaining, snap.reserved + snap.sold) == (900, 0, 900)
    assert snap.remaining_by_store == {"S1": 0, "S2": 0, "S3": 0}
    assert cluster_stack.core.sales.rebalancer.transfers > 0
    assert {o.rsplit("-", 1)[0] for o in acked} == {sale}
    audit = await audit_sale(cluster_stack.client, sale)
    assert audit.ok, audit.problems
    # a paid order of any bucket is found again by its id
    paid = next(o for o, s in acked.items() if s == "paid")
    assert (await cluster_stack.core.orders.get(paid))["status"] == "paid"
    await _settle_books(cluster_stack, sale, acked)


async def test_master_killed_mid_storm_loses_no_acknowledged_order(
    tmp_path: Path, sqlite_url: str
) -> None:
    """kill -9 of the master owning the hot sale's first bucket, with LC_BUY_DURABILITY=replica."""
    cluster = LocalCluster(tmp_path / "cluster")
    cluster.start()
    client = connect_redis(cluster.url)
    try:
        policy = DurabilityPolicy(Durability.REPLICA, timeout_ms=2000)
        async with ledger_stack(client, sqlite_url, durability=policy) as stack:  # type: ignore[arg-type]
            sale = await stack.new_sale({"S1": 600, "S2": 600, "S3": 600}, shards=3)
            victim = cluster.master_of(sale_keys(sale)[0])
            storming = asyncio.create_task(storm(stack.core, sale, 2400, retry=True, concurrency=100))
            await asyncio.sleep(0.3)
            assert not storming.done(), "the storm must still be running when the master dies"
            cluster.kill(victim)
            await asyncio.to_thread(cluster.wait_failover, victim)
            # the promoted replica has no replica of its own: replica durability refuses its buys (503)
            # until the dead node comes back as its replica
            await asyncio.to_thread(cluster.revive, victim)
            acked = await asyncio.wait_for(storming, 90)
            assert stack.core.buyer.rerouted > 0, "calls were sent again after the failover"
            held = [o for o, s in acked.items() if s in ("reserved", "paid")]
            assert len(held) == 1800, "every unit sold exactly once, through the failover"
            audit = await audit_sale(stack.client, sale)
            assert audit.ok, audit.problems
            assert audit.reserved + audit.sold == 1800 and audit.remaining == 0
            await _settle_books(stack, sale, acked)
    finally:
        await client.aclose()
        cluster.stop()
