"""The order ledger in SQL: idempotent forward-only upserts, reads, keyset pages. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from inventory import InvalidRequest, Inventory, LedgerOrder
from tests.inventory.conftest import SKU, T0

FULFILL = {"type": "delivery", "address": {"text": "Nanjing Rd 1", "lat": 31.2, "lng": 121.4}}


def order(n: int, sale: str = "F1", user: str = "u1", status: str = "reserved", at_s: int | None = None) -> LedgerOrder:
    created = T0 + timedelta(seconds=n if at_s is None else at_s, milliseconds=7)
    return LedgerOrder(
        order_id=f"{sale}-{n}", sale_id=sale, user_id=user, sku=SKU, quantity=1, amount_cents=9_900,
        store_id="S1", status=status, idempotency_key=f"k{n}", created_at=created,
        expires_at=created + timedelta(minutes=5), fulfillment=FULFILL, nickname="Ann", room_id="R1",
        host_id="alice",
    )


@pytest.fixture
async def ledger(stocked: Inventory, make_sale) -> Inventory:  # type: ignore[no-untyped-def]
    await stocked.allocate_sale(make_sale("F1", ("S1", 40)))
    await stocked.allocate_sale(make_sale("F2", ("S1", 40)))
    return stocked


async def test_rows_round_trip(ledger: Inventory) -> None:
    o = order(1)
    await ledger.record_orders([o])
    got = await ledger.get_order("F1-1")
    assert got is not None and got.updated_at is not None
    assert replace(got, updated_at=None) == o
    assert got.created_at.utcoffset() == timedelta(0)
    assert await ledger.get_order("F1-999") is None


async def test_statuses_only_move_forward_whatever_arrives_again(ledger: Inventory) -> None:
    paid_at = T0 + timedelta(minutes=1)
    await ledger.record_orders([order(1), order(2), order(3, status="expired")])
    await ledger.record_orders([replace(order(1), status="paid", paid_at=paid_at, payment_ref="pay_1"),
                                replace(order(2), status="cancelled", closed_at=paid_at)])
    for late in ([order(1), order(2), order(3)],  # a replayed reservation
                 [replace(order(1), status="cancelled", closed_at=paid_at)],  # a different close
                 [replace(order(1), status="paid", paid_at=T0, payment_ref="pay_2")]):  # a second payment
        await ledger.record_orders(late)
    assert await ledger.order_statuses("F1") == {"F1-1": "paid", "F1-2": "cancelled", "F1-3": "expired"}
    one = await ledger.get_order("F1-1")
    assert one is not None and (one.paid_at, one.payment_ref, one.closed_at) == (paid_at, "pay_1", None)


async def test_a_row_first_seen_closed_is_inserted_closed(ledger: Inventory) -> None:
    await ledger.record_orders([replace(order(5), status="paid", paid_at=T0, payment_ref="p")])
    await ledger.record_orders([order(5)])
    assert await ledger.order_statuses("F1") == {"F1-5": "paid"}


async def test_unknown_status_is_refused(ledger: Inventory) -> None:
    with pytest.raises(InvalidRequest):
        await ledger.record_orders([replace(order(1), status="shipped")])


async def test_keyset_pages_cover_everything_once_newest_first(ledger: Inventory) -> None:
    mine = [order(n, at_s=n // 2) for n in range(1, 12)]  # pairs share a created_at: order_id breaks ties
    others = [order(n, user="u2") for n in range(20, 23)] + [order(n, sale="F2") for n in range(1, 4)]
    await ledger.record_orders(mine + others)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = await ledger.list_orders(user_id="u1", limit=4, cursor=cursor)
        seen += [o.order_id for o in page.orders]
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = [o.order_id for o in sorted(mine + others[3:], key=lambda o: (o.created_at, o.order_id),
                                          reverse=True)]
    assert seen == expected and len(seen) == 14
    whole = await ledger.list_orders(sale_id="F2", limit=500)
    assert [o.order_id for o in whole.orders] == ["F2-3", "F2-2", "F2-1"] and whole.next_cursor is None
    exact = await ledger.list_orders(sale_id="F2", limit=3)
    assert exact.next_cursor is None, "no empty last page"


@pytest.mark.parametrize("cursor", ["junk", "", "MTIz", "x" * 300, "MX5GMSAx"])
async def test_a_bad_cursor_or_limit_is_an_invalid_request(ledger: Inventory, cursor: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        await ledger.list_orders(user_id="u1", cursor=cursor)
    assert info.value.details["field"] == "cursor"
    for limit in (0, 501):
        with pytest.raises(InvalidRequest):
            await ledger.list_orders(user_id="u1", limit=limit)
