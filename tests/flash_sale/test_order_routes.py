"""Order reads from the ledger over HTTP: pages, cursors, who may see what, and the ledger fallback."""

from __future__ import annotations

import pytest

from flash_sale import FLASH_SALES, LEDGER_WORKER
from tests.ledger_stack import wait_until

PICKUP = {"quantity": 1, "fulfillment": {"type": "pickup", "store_id": "S1"}}


async def _buy(api, sale_id: str, who: str, key: str, store: str = "S1") -> dict:  # type: ignore[no-untyped-def]
    body = {**PICKUP, "fulfillment": {"type": "pickup", "store_id": store}}
    r = await api.client.post(f"/api/v1/flash-sales/{sale_id}/orders", json=body,
                              headers={**api.viewer(who), "Idempotency-Key": key})
    assert r.status == 201, await r.text()
    return await r.json()


async def _pages(api, url: str, headers: dict, limit: int) -> list[list[dict]]:  # type: ignore[no-untyped-def]
    pages, cursor = [], None
    while True:
        r = await api.client.get(url, params={"limit": limit, **({"cursor": cursor} if cursor else {})},
                                 headers=headers)
        assert r.status == 200, await r.text()
        body = await r.json()
        pages.append(body["orders"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.fixture
async def shop(api):  # type: ignore[no-untyped-def]
    """Two sales (S1's and S2's); alice buys three orders, bob one; the ledger has them all."""
    await api.seed()
    a, b = await api.create_sale({"S1": 10}), await api.create_sale({"S2": 10})
    orders = {
        "alice": [await _buy(api, a["id"], "alice", "1"), await _buy(api, a["id"], "alice", "2"),
                  await _buy(api, b["id"], "alice", "3", store="S2")],
        "bob": [await _buy(api, a["id"], "bob", "1")],
    }
    worker = api.client.server.app[LEDGER_WORKER]

    async def caught_up() -> bool:
        return sum((await worker.backlog([a["id"], b["id"]])).values()) == 0

    await wait_until(caught_up)
    return a["id"], b["id"], orders


async def test_my_orders_are_mine_only_newest_first_in_pages(api, shop) -> None:  # type: ignore[no-untyped-def]
    _, _, orders = shop
    pages = await _pages(api, "/api/v1/me/orders", api.viewer("alice"), limit=2)
    assert [len(p) for p in pages] == [2, 1]
    listed = [o["order_id"] for p in pages for o in p]
    assert listed == [o["order_id"] for o in reversed(orders["alice"])]
    assert pages[0][0] == orders["alice"][2], "the same order object as the buy answered"
    pages = await _pages(api, "/api/v1/me/orders", api.viewer("bob"), limit=500)
    assert [o["order_id"] for p in pages for o in p] == [orders["bob"][0]["order_id"]]
    assert (await (await api.client.get("/api/v1/me/orders", headers=api.viewer("carol"))).json()) == {
        "orders": [], "next_cursor": None}


async def test_sale_orders_for_ops_and_the_sales_hosts_only(api, shop) -> None:  # type: ignore[no-untyped-def]
    a, b, orders = shop
    pages = await _pages(api, f"/api/v1/flash-sales/{a}/orders", api.ops, limit=1)
    assert len(pages) == 3 and all(len(p) == 1 for p in pages)
    pages = await _pages(api, f"/api/v1/flash-sales/{a}/orders", api.host_s1, limit=50)
    assert {o["order_id"] for o in pages[0]} == {o["order_id"] for o in orders["alice"][:2] + orders["bob"]}
    for headers, url, status in [
        (api.host_s2, f"/api/v1/flash-sales/{a}/orders", 403),  # S2 has no allocation in sale a
        (api.host_s1, f"/api/v1/flash-sales/{b}/orders", 403),
        (api.viewer("alice"), f"/api/v1/flash-sales/{a}/orders", 403),
        ({}, f"/api/v1/flash-sales/{a}/orders", 401),
        (api.ops, "/api/v1/flash-sales/abcdef123456/orders", 404),
        (api.ops, "/api/v1/flash-sales/NOT-AN-ID/orders", 404),
        (api.ops, "/api/v1/me/orders", 403),
        ({}, "/api/v1/me/orders", 401),
    ]:
        r = await api.client.get(url, headers=headers)
        assert r.status == status, (url, await r.text())
        assert (await r.json())["error"]["code"]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=abc", "limit=2.5", "cursor=junk", "cursor=",
                                   "page=2", "cursor=" + "A" * 400])
async def test_bad_pagination_is_invalid_request(api, shop, query: str) -> None:  # type: ignore[no-untyped-def]
    a, _, _ = shop
    for url, headers in ((f"/api/v1/me/orders?{query}", api.viewer("alice")),
                         (f"/api/v1/flash-sales/{a}/orders?{query}", api.ops)):
        r = await api.client.get(url, headers=headers)
        assert r.status == 422, (url, await r.text())
        assert (await r.json())["error"]["code"] == "invalid_request"


async def test_an_order_gone_from_redis_is_read_from_the_ledger(api, shop) -> None:  # type: ignore[no-untyped-def]
    a, _, orders = shop
    order = orders["alice"][0]
    core = api.client.server.app[FLASH_SALES]
    assert await core.client.hdel(f"{{fs:{a}}}:orders", order["order_id"]) == 1  # archived, say
    url = f"/api/v1/orders/{order['order_id']}"
    r = await api.client.get(url, headers=api.viewer("alice"))
    assert r.status == 200 and await r.json() == order
    assert (await api.client.get(url, headers=api.ops)).status == 200
    assert (await api.client.get(url, headers=api.viewer("bob"))).status == 404, "never someone else's"
    r = await api.client.get(f"/api/v1/orders/{a}-999", headers=api.ops)
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"
