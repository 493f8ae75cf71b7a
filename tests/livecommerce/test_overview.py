"""The ops overview and load-test report routes: ops only, validated, and figures that add up."""

from __future__ import annotations

import asyncio

from tests.flash_sale.test_routes import PICKUP_S1
from tests.livecommerce.test_http_metrics import _metrics, _value

FIGURES = {"run_id": "spike-1", "scenario": "spike", "state": "running", "users": 300, "rps": 1234.5,
           "p50_ms": 3.2, "p99_ms": 41.0, "requests": 5000, "failures": 2, "elapsed_s": 4.0}


async def _overview(api) -> dict:
    r = await api.client.get("/api/v1/ops/overview", headers=api.ops)
    assert r.status == 200, await r.text()
    return await r.json()


async def test_only_ops_may_read_or_report(api) -> None:
    for url, method in (("/api/v1/ops/overview", "GET"), ("/api/v1/ops/loadtest", "POST")):
        r = await api.client.request(method, url, json=FIGURES)
        assert r.status == 401
        for who in (api.viewer("v"), api.host_s1):
            r = await api.client.request(method, url, json=FIGURES, headers=who)
            assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"
    assert (await _overview(api))["loadtest"] is None, "a refused report stored nothing"


async def test_overview_counts_buys_and_shows_balanced_sales(api) -> None:
    await api.seed()
    sale = await api.create_sale({"S1": 2, "S2": 1})
    url = f"/api/v1/flash-sales/{sale['id']}/orders"
    first = await _overview(api)
    before = first["counters"]["buy_attempts"]
    orders = []
    for name in ("a", "b", "c", "d"):
        r = await api.client.post(url, json=PICKUP_S1, headers={**api.viewer(name), "Idempotency-Key": "k"})
        orders.append((name, r.status, await r.json()))
    assert [s for _, s, _ in orders] == [201, 201, 409, 409]  # S1 holds 2
    r = await api.client.post(url, json=PICKUP_S1, headers={**api.viewer("a"), "Idempotency-Key": "k"})
    assert r.status == 200
    paid = orders[0][2]["order_id"]
    assert (await api.client.post(f"/api/v1/orders/{paid}/pay", headers=api.viewer("a"))).status == 200
    want = {"reserved": 2, "duplicate": 1, "no_stock_at_store": 2}
    for _ in range(40):  # each process pushes its counts to Redis once a second
        await asyncio.sleep(0.25)
        snap = await _overview(api)
        after = snap["counters"]["buy_attempts"]
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in want}
        if delta == want and snap["counters"]["orders"]["paid"] >= 1:
            break
    assert delta == want, delta
    assert snap["counters"]["orders"]["paid"] >= 1
    (view,) = [s for s in snap["sales"] if s["id"] == sale["id"]]
    assert view["allocated"] == view["remaining"] + view["reserved"] + view["sold"] == 3
    assert (view["remaining"], view["reserved"], view["sold"]) == (1, 1, 1)
    assert view["remaining_by_store"] == {"S1": 0, "S2": 1}
    assert snap["health"] == {"redis": "ok", "database": "ok"}
    assert snap["latency_ms"]["buy"]["p50"] is not None and snap["latency_ms"]["buy"]["p99"] >= \
        snap["latency_ms"]["buy"]["p50"] > 0
    assert isinstance(snap["ledger_lag"], int)
    text = await _metrics(api)
    assert _value(text, "lc_flash_sale_remaining", sale=sale["id"], sku="SKU1") == 1
    assert _value(text, "lc_flash_sale_sold", sale=sale["id"], sku="SKU1") == 1
    assert _value(text, "lc_up", service="redis") == 1 and _value(text, "lc_up", service="database") == 1
    assert _value(text, "lc_flash_sale_buy_attempts_total", outcome="reserved") >= 2


async def test_rooms_appear_with_their_status(api) -> None:
    await api.seed()
    r = await api.client.post("/api/v1/rooms", json={"store_id": "S1", "title": "Silk"}, headers=api.host_s1)
    room = await r.json()
    snap = await _overview(api)
    (mine,) = [x for x in snap["rooms"] if x["id"] == room["id"]]
    assert mine["status"] == "created" and mine["title"] == "Silk" and mine["ingest"] is None
    assert "stream_key" not in mine, "the overview never shows a stream key"
    assert snap["rooms_live"] == sum(1 for x in snap["rooms"] if x["status"] == "live")


async def test_loadtest_report_is_validated_and_shown(api) -> None:
    bad = [
        {**FIGURES, "rps": -1},
        {**FIGURES, "users": "300"},
        {**FIGURES, "state": "exploded"},
        {**FIGURES, "run_id": "../../etc"},
        {**FIGURES, "extra": 1},
        {k: v for k, v in FIGURES.items() if k != "requests"},
    ]
    for body in bad:
        r = await api.client.post("/api/v1/ops/loadtest", json=body, headers=api.ops)
        assert r.status == 422 and (await r.json())["error"]["code"] == "invalid_request", body
    r = await api.client.post("/api/v1/ops/loadtest", data=b"x" * 5000, headers=api.ops)
    assert r.status == 413
    assert (await _overview(api))["loadtest"] is None, "rejected reports change nothing"
    r = await api.client.post("/api/v1/ops/loadtest", json=FIGURES, headers=api.ops)
    assert r.status == 200
    assert (await _overview(api))["loadtest"] == FIGURES
    from livecommerce.app import REDIS
    from livecommerce.observability.overview import LOADTEST_KEY

    ttl = await api.client.app[REDIS].ttl(LOADTEST_KEY)
    assert 0 < ttl <= 30, "a running test's figures vanish when it stops reporting"
    await api.client.app[REDIS].delete(LOADTEST_KEY)


async def test_overview_answers_with_redis_and_the_database_down() -> None:
    """Every section fails alone: a dead Redis gives empty sections and health 'down', never an error."""
    import socket

    import redis.asyncio as aioredis

    from livecommerce.observability import OpsOverview, SharedCounters

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = aioredis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)

    class _DeadSales:
        async def active_ids(self) -> list[str]:
            return [x.decode() for x in await dead.smembers("lc:sales:active")]

        async def view(self, sale_id: str) -> dict:
            raise AssertionError("no sale ids without Redis")

    class _DeadRooms:
        async def rooms(self, limit: int) -> list[dict]:
            await dead.zrange("lc:rooms", 0, limit)
            return []

        def ingest(self) -> dict:
            return {}

    async def lag(sale_ids: list[str]) -> int:
        return int(await dead.xlen("x"))

    async def db_down() -> bool:
        raise ConnectionError("database unreachable")

    async def redis_ok() -> bool:
        return bool(await dead.ping())

    overview = OpsOverview(dead, _DeadSales(), _DeadRooms(), {"redis": redis_ok, "database": db_down}, lag,
                           SharedCounters(dead))
    try:
        snap = await asyncio.wait_for(overview.snapshot(), 10)
    finally:
        await overview.stop()
        await dead.aclose()
    assert snap["health"] == {"redis": "down", "database": "down"}
    assert snap["sales"] == [] and snap["rooms"] == [] and snap["rooms_live"] == 0
    assert snap["ledger_lag"] is None and snap["loadtest"] is None
    assert snap["counters"] == {"buy_attempts": {}, "orders": {"paid": 0, "cancelled": 0, "expired": 0}}
