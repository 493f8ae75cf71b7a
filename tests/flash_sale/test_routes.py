"""The flash-sale HTTP contract: statuses, error codes, access rules, and bad input that changes nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from flash_sale.audit import audit_sale
from flash_sale.routes import FLASH_SALES

PICKUP_S1 = {"quantity": 1, "fulfillment": {"type": "pickup", "store_id": "S1"}}
DELIVERY = {"quantity": 1, "fulfillment": {"type": "delivery",
                                           "address": {"text": "Nanjing Rd 100", "lat": 31.236, "lng": 121.475}}}


async def _sale_state(api, sale_id: str) -> dict:
    r = await api.client.get(f"/api/v1/flash-sales/{sale_id}")
    assert r.status == 200
    return await r.json()


async def test_buy_pay_flow_and_same_key_returns_same_order(api) -> None:
    await api.seed()
    sale = await api.create_sale({"S1": 5, "S2": 5})
    assert sale["status"] == "active" and sale["remaining"] == 10
    alice = api.viewer("alice")
    url = f"/api/v1/flash-sales/{sale['id']}/orders"
    r = await api.client.post(url, json=PICKUP_S1, headers={**alice, "Idempotency-Key": "tap-1"})
    assert r.status == 201
    order = await r.json()
    assert order["status"] == "reserved" and order["store_id"] == "S1" and order["amount_cents"] == 9900
    assert order["expires_at"].endswith("Z") and order["fulfillment"] == {"type": "pickup", "store_id": "S1"}
    r = await api.client.post(url, json=PICKUP_S1, headers={**alice, "Idempotency-Key": "tap-1"})
    assert r.status == 200 and (await r.json())["order_id"] == order["order_id"]
    r = await api.client.post(url, json=DELIVERY, headers={**alice, "Idempotency-Key": "tap-2"})
    assert r.status == 201 and (await r.json())["store_id"] == "S1"
    r = await api.client.post(url, json=DELIVERY, headers={**alice, "Idempotency-Key": "tap-3"})
    assert r.status == 409 and (await r.json())["error"]["code"] == "limit_exceeded"

    bob = api.viewer("bob")
    r = await api.client.get(f"/api/v1/orders/{order['order_id']}", headers=bob)
    assert r.status == 404, "viewers see only their own orders"
    r = await api.client.post(f"/api/v1/orders/{order['order_id']}/pay", headers=bob)
    assert r.status == 404
    r = await api.client.post(f"/api/v1/orders/{order['order_id']}/pay", headers=alice)
    assert r.status == 200 and (await r.json())["status"] == "paid"
    r = await api.client.get(f"/api/v1/orders/{order['order_id']}", headers=api.ops)
    assert r.status == 200 and (await r.json())["status"] == "paid"
    state = await _sale_state(api, sale["id"])
    assert (state["remaining"], state["reserved"], state["sold"]) == (8, 1, 1)
    assert state["remaining_by_store"] == {"S1": 3, "S2": 5}


async def test_allocation_moves_stock_and_insufficient_changes_nothing(api) -> None:
    await api.seed({"S1": 10, "S2": 3})
    await api.create_sale({"S1": 4})
    r = await api.client.get("/api/v1/stores/S1/stock", headers=api.host_s1)
    assert await r.json() == [{"sku": "SKU1", "on_hand": 6, "allocated": 4}]
    now = datetime.now(UTC)
    body = {"sku": "SKU1", "price_cents": 1, "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "per_user_limit": 1, "payment_timeout_s": 60,
            "allocations": [{"store_id": "S1", "quantity": 6}, {"store_id": "S2", "quantity": 4}]}
    r = await api.client.post("/api/v1/flash-sales", json=body, headers=api.ops)
    assert r.status == 409 and (await r.json())["error"]["code"] == "insufficient_stock"
    for sid, expected in (("S1", (6, 4)), ("S2", (3, 0))):
        r = await api.client.get(f"/api/v1/stores/{sid}/stock", headers=api.ops)
        level = (await r.json())[0]
        assert (level["on_hand"], level["allocated"]) == expected


async def test_sale_creation_access(api) -> None:
    await api.seed()
    now = datetime.now(UTC)
    body = {"sku": "SKU1", "price_cents": 1, "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "per_user_limit": 1, "payment_timeout_s": 60,
            "allocations": [{"store_id": "S1", "quantity": 1}, {"store_id": "S2", "quantity": 1}]}
    r = await api.client.post("/api/v1/flash-sales", json=body)
    assert r.status == 401
    r = await api.client.post("/api/v1/flash-sales", json=body, headers=api.viewer("v"))
    assert r.status == 403
    r = await api.client.post("/api/v1/flash-sales", json=body, headers=api.host_s1)
    assert r.status == 403, "a host of S1 cannot allocate S2's stock"
    body["allocations"] = [{"store_id": "S1", "quantity": 1}]
    r = await api.client.post("/api/v1/flash-sales", json=body, headers=api.host_s1)
    assert r.status == 201
    r = await api.client.post("/api/v1/flash-sales", json=body, headers={"Authorization": "Bearer junk"})
    assert r.status == 401 and (await r.json())["error"]["code"] == "unauthorized"


async def test_buy_errors(api) -> None:
    await api.seed()
    sale = await api.create_sale({"S1": 1, "S2": 2})
    url = f"/api/v1/flash-sales/{sale['id']}/orders"
    v = api.viewer("carol")
    r = await api.client.post(url, json=PICKUP_S1, headers={**v, "Idempotency-Key": "a"})
    assert r.status == 201
    r = await api.client.post(url, json=PICKUP_S1, headers={**api.viewer("dan"), "Idempotency-Key": "a"})
    body = await r.json()
    assert r.status == 409 and body["error"]["code"] == "no_stock_at_store"
    assert [s["store_id"] for s in body["error"]["nearest_stores"]] == ["S2"]
    r = await api.client.post(url, json=PICKUP_S1, headers={**api.host_s1, "Idempotency-Key": "a"})
    assert r.status == 403, "hosts do not buy"
    r = await api.client.post("/api/v1/flash-sales/abcdef123456/orders", json=PICKUP_S1,
                              headers={**v, "Idempotency-Key": "b"})
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"
    later = await api.create_sale({"S3": 1}, starts_at=(datetime.now(UTC) + timedelta(minutes=5)).isoformat())
    r = await api.client.post(f"/api/v1/flash-sales/{later['id']}/orders", json=DELIVERY,
                              headers={**v, "Idempotency-Key": "c"})
    assert r.status == 409 and (await r.json())["error"]["code"] == "not_started"
    assert (await _sale_state(api, later["id"]))["status"] == "scheduled"
    for i, who in enumerate(("erin", "frank")):
        r = await api.client.post(url, json=DELIVERY, headers={**api.viewer(who), "Idempotency-Key": f"d{i}"})
        assert r.status == 201
    r = await api.client.post(url, json=DELIVERY, headers={**api.viewer("gina"), "Idempotency-Key": "e"})
    assert r.status == 409 and (await r.json())["error"]["code"] == "sold_out"


def _bad_buys() -> list[tuple[str, object, dict[str, str], int, str]]:
    ok = PICKUP_S1
    key = {"Idempotency-Key": "k"}
    return [
        ("malformed json", b"{not json", key, 422, "invalid_request"),
        ("array", b"[]", key, 422, "invalid_request"),
        ("empty body", b"", key, 422, "invalid_request"),
        ("missing quantity", {"fulfillment": ok["fulfillment"]}, key, 422, "invalid_request"),
        ("string quantity", {**ok, "quantity": "1"}, key, 422, "invalid_request"),
        ("bool quantity", {**ok, "quantity": True}, key, 422, "invalid_request"),
        ("zero quantity", {**ok, "quantity": 0}, key, 422, "invalid_request"),
        ("huge quantity", {**ok, "quantity": 10**12}, key, 422, "invalid_request"),
        ("unknown field", {**ok, "coupon": "FREE"}, key, 422, "invalid_request"),
        ("unknown fulfillment", {**ok, "fulfillment": {"type": "drone"}}, key, 422, "invalid_request"),
        ("pickup without store", {**ok, "fulfillment": {"type": "pickup"}}, key, 422, "invalid_request"),
        ("bad store id", {**ok, "fulfillment": {"type": "pickup", "store_id": "../etc"}}, key, 422,
         "invalid_request"),
        ("latitude out of range", {**DELIVERY, "fulfillment": {"type": "delivery", "address": {
            "text": "x", "lat": 95.0, "lng": 121.0}}}, key, 422, "invalid_request"),
        ("address too long", {**DELIVERY, "fulfillment": {"type": "delivery", "address": {
            "text": "x" * 201, "lat": 31.0, "lng": 121.0}}}, key, 422, "invalid_request"),
        ("missing idempotency key", ok, {}, 422, "invalid_request"),
        ("long idempotency key", ok, {"Idempotency-Key": "k" * 65}, 422, "invalid_request"),
        ("oversized body", {**ok, "pad": "x" * 5000}, key, 413, "payload_too_large"),
    ]


@pytest.mark.parametrize("name,body,headers,status,code", _bad_buys(), ids=[c[0] for c in _bad_buys()])
async def test_bad_buy_input_is_rejected_and_changes_nothing(api, name, body, headers, status, code) -> None:
    await api.seed()
    sale = await api.create_sale({"S1": 3})
    before = await _sale_state(api, sale["id"])
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = await api.client.post(f"/api/v1/flash-sales/{sale['id']}/orders", data=data,
                              headers={**api.viewer("mallory"), **headers, "Content-Type": "application/json"})
    assert r.status == status, await r.text()
    err = (await r.json())["error"]
    assert err["code"] == code and err["message"]
    if status == 422 and name not in ("malformed json", "array", "empty body"):
        assert "field" in err, "the error names the field"
    assert await _sale_state(api, sale["id"]) == before


def _bad_sales() -> list[tuple[str, dict]]:
    now = datetime.now(UTC)
    good = {"sku": "SKU1", "price_cents": 100, "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "per_user_limit": 1, "payment_timeout_s": 60,
            "allocations": [{"store_id": "S1", "quantity": 5}]}
    return [
        ("ends before start", {**good, "ends_at": (now - timedelta(hours=1)).isoformat()}),
        ("naive time", {**good, "starts_at": "2026-11-23T10:00:00"}),
        ("not a time", {**good, "starts_at": "tomorrow"}),
        ("negative price", {**good, "price_cents": -1}),
        ("float price", {**good, "price_cents": 9.5}),
        ("no allocations", {**good, "allocations": []}),
        ("zero quantity", {**good, "allocations": [{"store_id": "S1", "quantity": 0}]}),
        ("duplicate store", {**good, "allocations": [{"store_id": "S1", "quantity": 1}] * 2}),
        ("unknown field", {**good, "discount": 5}),
        ("missing sku", {k: v for k, v in good.items() if k != "sku"}),
        ("limit zero", {**good, "per_user_limit": 0}),
    ]


@pytest.mark.parametrize("name,body", _bad_sales(), ids=[c[0] for c in _bad_sales()])
async def test_bad_sale_input_is_rejected_and_changes_nothing(api, name, body) -> None:
    await api.seed({"S1": 10})
    r = await api.client.post("/api/v1/flash-sales", json=body, headers=api.ops)
    assert r.status == 422, await r.text()
    assert (await r.json())["error"]["code"] == "invalid_request"
    r = await api.client.get("/api/v1/stores/S1/stock", headers=api.ops)
    assert (await r.json())[0]["on_hand"] == 10


async def test_unknown_sku_or_store_is_404_and_changes_nothing(api) -> None:
    await api.seed({"S1": 10})
    now = datetime.now(UTC)
    base = {"price_cents": 100, "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat(),
            "per_user_limit": 1, "payment_timeout_s": 60}
    r = await api.client.post("/api/v1/flash-sales", headers=api.ops, json={
        **base, "sku": "NOPE", "allocations": [{"store_id": "S1", "quantity": 1}]})
    assert r.status == 404
    r = await api.client.post("/api/v1/flash-sales", headers=api.ops, json={
        **base, "sku": "SKU1", "allocations": [{"store_id": "S1", "quantity": 1}, {"store_id": "S9", "quantity": 1}]})
    assert r.status == 404
    r = await api.client.get("/api/v1/stores/S1/stock", headers=api.ops)
    assert (await r.json())[0] == {"sku": "SKU1", "on_hand": 10, "allocated": 0}


async def test_http_storm_keeps_the_books(api) -> None:
    """400 concurrent HTTP buyers with retries over 60 units: 60 orders, books balance."""
    await api.seed()
    sale = await api.create_sale({"S1": 20, "S2": 20, "S3": 20}, per_user_limit=1)
    url = f"/api/v1/flash-sales/{sale['id']}/orders"
    viewers = [api.viewer(f"storm{i}") for i in range(400)]

    async def tap(i: int) -> set[str]:
        seen = set()
        for _ in range(2):
            r = await api.client.post(url, json=DELIVERY if i % 2 else PICKUP_S1,
                                      headers={**viewers[i], "Idempotency-Key": f"tap-{i}"})
            body = await r.json()
            seen.add(body.get("order_id") or body["error"]["code"])
        return seen

    outcomes = await asyncio.gather(*(tap(i) for i in range(400)))
    orders = [o for s in outcomes for o in s if "-" in o]
    assert len(orders) == 60 and len(set(orders)) == 60
    assert all(len(s) == 1 for s in outcomes if any("-" in o for o in s)), "retries return the same order"
    audit = await audit_sale(api.client.app[FLASH_SALES].client, sale["id"])
    assert audit.ok, audit.problems
    assert (audit.remaining, audit.reserved) == (0, 60)


async def test_room_sales_list_only_that_rooms_sales_newest_first(api) -> None:
    await api.seed({"S1": 20, "S2": 20})
    now = datetime.now(UTC)
    first = await api.create_sale({"S1": 2}, room_id="r-one")
    later = await api.create_sale({"S1": 3, "S2": 1}, room_id="r-one",
                                  starts_at=(now + timedelta(minutes=5)).isoformat())
    await api.create_sale({"S2": 4}, room_id="r-two")
    await api.create_sale({"S2": 1})  # no room
    r = await api.client.get("/api/v1/flash-sales?room_id=r-one")  # public, like each sale
    assert r.status == 200
    listed = await r.json()
    assert [s["id"] for s in listed] == [later["id"], first["id"]]
    assert [s["status"] for s in listed] == ["scheduled", "active"]
    assert listed[0]["remaining_by_store"] == {"S1": 3, "S2": 1} and listed[0]["room_id"] == "r-one"
    r = await api.client.get("/api/v1/flash-sales?room_id=r-one&limit=1")
    assert [s["id"] for s in await r.json()] == [later["id"]]
    r = await api.client.get("/api/v1/flash-sales?room_id=nobody")
    assert r.status == 200 and await r.json() == []


@pytest.mark.parametrize("query", ["", "?room_id=", "?room_id=a/b", "?room_id=r&limit=0", "?room_id=r&limit=101",
                                   "?room_id=r&limit=x", "?room_id=r&other=1", "?room_id=" + "r" * 65])
async def test_room_sales_list_rejects_bad_queries(api, query: str) -> None:
    r = await api.client.get("/api/v1/flash-sales" + query)
    assert r.status == 422, query
    assert (await r.json())["error"]["code"] == "invalid_request"
