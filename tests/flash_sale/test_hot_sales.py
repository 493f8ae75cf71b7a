"""Hot-item mode and durability levels on one Redis: buckets, refills by store, interrupted transfers
replayed once, the HTTP edge of ``shards``, and buys refused (never lost) when durability fails."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from flash_sale import FlashSaleCore, LocalPaymentProvider
from flash_sale.audit import audit_sale
from flash_sale.durability import Durability, DurabilityPolicy, NotDurable
from flash_sale.errors import SoldOut
from flash_sale.keys import sale_keys, transfer_out_key
from flash_sale.layout import SaleLayout
from flash_sale.types import BuyRequest, Pickup
from tests.fakes import MemoryAllocator
from tests.flash_sale.conftest import MakeSale


def _users_of_bucket(buckets: list[str], index: int, n: int) -> list[str]:
    return [u for u in (f"user{i}" for i in range(10_000)) if SaleLayout.bucket_for_user(buckets, u) == index][:n]


async def test_one_bucket_buyers_still_buy_every_unit(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 30, "S2": 30}, shards=3)
    buckets = await core.sales.layout.buckets(sale)
    assert buckets == [sale, f"{sale}:1", f"{sale}:2"]
    users = _users_of_bucket(buckets, 1, 61)  # all 60 units must flow into bucket 1
    orders = []
    for i, user in enumerate(users[:60]):
        outcome = await core.orders.buy(BuyRequest(sale, user, f"k{i}", 1, Pickup(("S1", "S2")[i % 2])))
        orders.append(outcome.order["order_id"])
    with pytest.raises(SoldOut):
        await core.orders.buy(BuyRequest(sale, users[60], "k", 1, Pickup("S1")))
    assert all(SaleLayout.bucket_of_order(buckets, o) == buckets[1] for o in orders)
    assert len(set(orders)) == 60
    snap = await core.sales.snapshot(sale)
    assert (snap.allocated, snap.remaining, snap.reserved) == (60, 0, 60)
    assert core.sales.rebalancer.transfers >= 2
    audit = await audit_sale(core.client, sale)
    assert audit.ok, audit.problems


async def test_pickup_store_missing_in_the_bucket_is_moved_in(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 1, "S2": 30}, shards=3)  # S1's single unit sits in one bucket only
    buckets = await core.sales.layout.buckets(sale)
    held = [int(await core.client.hget(sale_keys(b)[1], "S1")) for b in buckets]
    assert sorted(held) == [0, 0, 1]
    holder = held.index(1)
    other = (holder + 1) % 3
    user = _users_of_bucket(buckets, other, 1)[0]
    outcome = await core.orders.buy(BuyRequest(sale, user, "k1", 1, Pickup("S1")))
    assert outcome.order["store_id"] == "S1"
    assert (await core.sales.snapshot(sale)).remaining_by_store["S1"] == 0


async def test_interrupted_transfer_is_counted_then_replayed_once(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 30}, shards=3)
    buckets = await core.sales.layout.buckets(sale)
    give = core.scripts["give"]
    # the first half only, as if the process died before the receiver got the units
    await give(core.client, [*sale_keys(buckets[0]), transfer_out_key(buckets[0])], ["t1", buckets[2], 4, ""])
    snap = await core.sales.snapshot(sale)
    assert (snap.allocated, snap.remaining) == (30, 30), "units in flight still count"
    assert sum(snap.remaining_by_store.values()) == 26
    audit = await audit_sale(core.client, sale)
    assert audit.ok, audit.problems
    assert await core.sales.recover(sale) == 1
    assert await core.sales.recover(sale) == 0
    replay = '{"to": "' + buckets[2] + '", "stores": {"S1": 4}}'
    await core.sales.rebalancer._apply(buckets[0], "t1", replay)  # a second recoverer, late
    snap = await core.sales.snapshot(sale)
    assert snap.remaining_by_store == {"S1": 30} and snap.remaining == 30
    assert int(await core.client.hget(sale_keys(buckets[2])[0], "allocated")) == 14
    assert (await audit_sale(core.client, sale)).ok


async def test_shards_at_the_http_edge(api) -> None:  # type: ignore[no-untyped-def]
    await api.seed()
    for bad in (0, 17, "3", None):
        r = await api.client.post("/api/v1/flash-sales", headers=api.ops, json={
            "sku": "SKU1", "price_cents": 100, "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2036-01-01T00:00:00Z",
            "per_user_limit": 1, "payment_timeout_s": 60, "allocations": [{"store_id": "S1", "quantity": 5}],
            "shards": bad})
        assert r.status == 422, bad
    sale = await api.create_sale({"S1": 10, "S2": 10}, shards=3)
    assert sale["shards"] == 3 and sale["allocated"] == 20 and sale["remaining"] == 20
    buyer = api.viewer("amy")
    r = await api.client.post(f"/api/v1/flash-sales/{sale['id']}/orders", headers={**buyer, "Idempotency-Key": "a"},
                              json={"quantity": 1, "fulfillment": {"type": "pickup", "store_id": "S2"}})
    assert r.status == 201, await r.text()
    order = await r.json()
    r = await api.client.post(f"/api/v1/orders/{order['order_id']}/pay", headers=buyer)
    assert r.status == 200 and (await r.json())["status"] == "paid"
    r = await api.client.get(f"/api/v1/flash-sales/{sale['id']}")
    got = await r.json()
    assert (got["remaining"], got["sold"], got["remaining_by_store"]) == (19, 1, {"S1": 10, "S2": 9})


async def test_replica_durability_without_a_replica_refuses_the_buy(
    redis_client: aioredis.Redis, make_sale: MakeSale
) -> None:
    sale = await make_sale({"S1": 5})
    strict = FlashSaleCore(redis_client, MemoryAllocator(), LocalPaymentProvider(), run_sweeper=False,
                           durability=DurabilityPolicy(Durability.REPLICA, timeout_ms=50))
    await strict.start()
    try:
        with pytest.raises(NotDurable):
            await strict.orders.buy(BuyRequest(sale, "u1", "k1", 1, Pickup("S1")))
        assert isinstance(NotDurable("x"), RedisConnectionError), "answered 503 by the edge"
    finally:
        await strict.stop()
    # the decision stands in Redis: a retry with the same key gets the same single order
    assert await redis_client.hlen(sale_keys(sale)[6]) == 1


async def test_fsync_durability_needs_waitaof_or_appendfsync_always(redis_client: aioredis.Redis) -> None:
    version = (await redis_client.info("server"))["redis_version"]
    policy = DurabilityPolicy(Durability.FSYNC)
    await redis_client.config_set("appendfsync", "everysec")
    core = FlashSaleCore(redis_client, MemoryAllocator(), LocalPaymentProvider(), run_sweeper=False, durability=policy)
    if tuple(int(p) for p in version.split(".")[:2]) < (7, 2):
        with pytest.raises(RuntimeError, match="appendfsync always"):
            await core.start()
        await redis_client.config_set("appendfsync", "always")
        try:
            await core.start()
        finally:
            await core.stop()
            await redis_client.config_set("appendfsync", "everysec")
    else:
        await core.start()
        await core.stop()
