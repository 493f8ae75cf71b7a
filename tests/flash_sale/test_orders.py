"""The buy/pay/cancel decisions against a real Redis, and the invariant after each."""

from __future__ import annotations

import asyncio
import random

import pytest

from flash_sale import BuyRequest, Delivery, FlashSaleCore, Pickup, errors
from flash_sale.audit import audit_sale
from tests.flash_sale.conftest import MakeSale


def pickup(sale: str, user: str, key: str = "k1", store: str = "S1", qty: int = 1) -> BuyRequest:
    return BuyRequest(sale, user, key, qty, Pickup(store))


def delivery(sale: str, user: str, lat: float, lng: float, key: str = "k1", qty: int = 1) -> BuyRequest:
    return BuyRequest(sale, user, key, qty, Delivery("addr", lat, lng))


async def assert_books(core: FlashSaleCore, sale: str) -> None:
    audit = await audit_sale(core.client, sale)
    assert audit.ok, audit.problems


async def test_storm_sells_exactly_the_allocation(core: FlashSaleCore, make_sale: MakeSale) -> None:
    """1,200 buyers, each retrying its key, on 200 units over 3 stores: exactly 200 orders."""
    sale = await make_sale({"S1": 80, "S2": 70, "S3": 50}, per_user_limit=1)
    stores = ["S1", "S2", "S3"]
    results: dict[str, list[str]] = {}

    async def buyer(i: int) -> None:
        user = f"user{i}"
        req = (pickup(sale, user, store=stores[i % 3]) if i % 2 else
               delivery(sale, user, 31.2 + random.random() * 0.1, 121.4 + random.random() * 0.1))
        got = []
        for _ in range(3):  # the client retries the same key, as a phone on a bad network would
            try:
                got.append((await core.orders.buy(req)).order["order_id"])
            except errors.FlashSaleError as exc:
                got.append(exc.code)
        results[user] = got

    await asyncio.gather(*(buyer(i) for i in range(1200)))
    winners = {u: r for u, r in results.items() if r[0] not in ("sold_out", "no_stock_at_store")}
    assert len(winners) == 200
    for outcome in winners.values():
        assert outcome[0] == outcome[1] == outcome[2], "a retry must return the same order"
    order_ids = [r[0] for r in winners.values()]
    assert len(set(order_ids)) == 200
    snap = await core.sales.snapshot(sale)
    assert (snap.remaining, snap.reserved, snap.sold) == (0, 200, 0)
    assert snap.remaining_by_store == {"S1": 0, "S2": 0, "S3": 0}
    await assert_books(core, sale)


async def test_same_key_returns_same_order_and_new_key_hits_limit(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale(per_user_limit=2)
    first = await core.orders.buy(pickup(sale, "u1", "a", qty=2))
    again = await core.orders.buy(pickup(sale, "u1", "a", qty=2))
    assert first.created and not again.created
    assert again.order["order_id"] == first.order["order_id"]
    with pytest.raises(errors.LimitExceeded):
        await core.orders.buy(pickup(sale, "u1", "b"))
    # another user's identical key is a different order
    other = await core.orders.buy(pickup(sale, "u2", "a"))
    assert other.order["order_id"] != first.order["order_id"]
    assert (await core.sales.snapshot(sale)).reserved == 3
    await assert_books(core, sale)


async def test_delivery_routes_to_nearest_store_with_stock(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 1, "S2": 5, "S3": 5})
    near_s1 = (31.2360, 121.4750)  # a few hundred metres from S1
    a = await core.orders.buy(delivery(sale, "u1", *near_s1))
    assert a.order["store_id"] == "S1"
    b = await core.orders.buy(delivery(sale, "u2", *near_s1))
    assert b.order["store_id"] == "S2", "S1 is empty, Jing'an is next nearest"
    await assert_books(core, sale)


async def test_pickup_at_empty_store_lists_nearest_with_stock(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 1, "S2": 3, "S3": 3})
    await core.orders.buy(pickup(sale, "u1", store="S1"))
    with pytest.raises(errors.NoStockAtStore) as info:
        await core.orders.buy(pickup(sale, "u2", store="S1"))
    nearest = info.value.details["nearest_stores"]
    assert [s["store_id"] for s in nearest] == ["S2", "S3"]
    assert nearest[0]["remaining"] == 3 and nearest[0]["distance_km"] > 0
    with pytest.raises(errors.NoStockAtStore):
        await core.orders.buy(pickup(sale, "u2", store="S9"))  # not part of the sale
    await assert_books(core, sale)


async def test_window_not_started_and_ended(core: FlashSaleCore, make_sale: MakeSale) -> None:
    later = await make_sale(starts_in_s=60)
    with pytest.raises(errors.NotStarted):
        await core.orders.buy(pickup(later, "u1"))
    short = await make_sale(starts_in_s=-1, lasts_s=1.2)
    await core.orders.buy(pickup(short, "u1"))
    await asyncio.sleep(0.4)
    with pytest.raises(errors.Ended):
        await core.orders.buy(pickup(short, "u2"))
    assert (await core.sales.snapshot(short)).status == "ended"


async def test_unknown_sale(core: FlashSaleCore) -> None:
    with pytest.raises(errors.SaleNotFound):
        await core.orders.buy(pickup("abcdef123456", "u1"))


async def test_rate_limit_per_user(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 10})
    await core.client.hset(f"{{fs:{sale}}}:meta", "rate", 3)
    outcomes = []
    for i in range(6):
        try:
            await core.orders.buy(pickup(sale, "spammer", key=f"k{i}"))
            outcomes.append("ok")
        except errors.FlashSaleError as exc:
            outcomes.append(exc.code)
    assert outcomes[:3] == ["ok", "limit_exceeded", "limit_exceeded"]
    assert outcomes[3:] == ["rate_limited"] * 3
    await assert_books(core, sale)


async def test_pay_then_cancel_refused_and_paid_counts_as_sold(
    core: FlashSaleCore, make_sale: MakeSale, payments
) -> None:
    sale = await make_sale({"S1": 2})
    order = (await core.orders.buy(pickup(sale, "u1"))).order
    paid = await core.orders.pay(order["order_id"], "u1")
    assert paid["status"] == "paid"
    assert (await core.orders.pay(order["order_id"], "u1"))["status"] == "paid"  # idempotent
    with pytest.raises(errors.InvalidState):
        await core.orders.cancel(order["order_id"], "u1")
    with pytest.raises(errors.OrderNotFound):
        await core.orders.pay(order["order_id"], "intruder")
    snap = await core.sales.snapshot(sale)
    assert (snap.remaining, snap.reserved, snap.sold) == (1, 0, 1)
    assert max(payments.net_charges_by_order().values()) == 1
    await assert_books(core, sale)


async def test_concurrent_pays_charge_once(core: FlashSaleCore, make_sale: MakeSale, payments) -> None:
    sale = await make_sale({"S1": 1})
    order_id = (await core.orders.buy(pickup(sale, "u1"))).order["order_id"]
    results = await asyncio.gather(*(core.orders.pay(order_id, "u1") for _ in range(10)))
    assert {r["status"] for r in results} == {"paid"}
    assert payments.net_charges_by_order()[order_id] == 1
    await assert_books(core, sale)


async def test_cancel_returns_stock_to_a_later_buyer(core: FlashSaleCore, make_sale: MakeSale) -> None:
    sale = await make_sale({"S1": 1})
    order_id = (await core.orders.buy(pickup(sale, "u1"))).order["order_id"]
    with pytest.raises(errors.SoldOut):
        await core.orders.buy(pickup(sale, "u2"))
    cancelled = await core.orders.cancel(order_id, "u1")
    assert cancelled["status"] == "cancelled"
    assert (await core.orders.cancel(order_id, "u1"))["status"] == "cancelled"  # no second return
    await asyncio.sleep(0.05)  # the restock message reaches the sold-out memory
    again = await core.orders.buy(pickup(sale, "u2"))
    assert again.created
    snap = await core.sales.snapshot(sale)
    assert (snap.remaining, snap.reserved) == (0, 1)
    await assert_books(core, sale)
