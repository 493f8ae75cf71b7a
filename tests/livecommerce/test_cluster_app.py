"""The whole app on a real Redis Cluster: rooms, pins and the room websockets (pub/sub across the
cluster), an ordinary and a hot sale through the HTTP routes, the ledger and its verification."""

from __future__ import annotations

import asyncio

from flash_sale import LEDGER_WORKER, ORDER_LEDGER
from flash_sale.reconcile import reconcile_sale
from livecommerce.app import REDIS
from tests.stream_server.test_room_realtime_e2e import test_pin_stock_purchases_viewers_and_end as room_flow


async def test_room_pin_and_websockets_on_a_cluster(cluster_api) -> None:  # type: ignore[no-untyped-def]
    await room_flow(cluster_api)


async def test_hot_sale_over_http_on_a_cluster(cluster_api) -> None:  # type: ignore[no-untyped-def]
    api = cluster_api
    await api.seed()
    sale = await api.create_sale({"S1": 4, "S2": 4, "S3": 4}, shards=3, per_user_limit=1)
    assert sale["shards"] == 3

    async def buy(i: int) -> int:
        r = await api.client.post(f"/api/v1/flash-sales/{sale['id']}/orders",
                                  headers={**api.viewer(f"fan{i}"), "Idempotency-Key": f"k{i}"},
                                  json={"quantity": 1, "fulfillment": {"type": "pickup",
                                                                         "store_id": ("S1", "S2", "S3")[i % 3]}})
        body = await r.json()
        if r.status == 201:
            pay = await api.client.post(f"/api/v1/orders/{body['order_id']}/pay", headers=api.viewer(f"fan{i}"))
            assert pay.status == 200, await pay.text()
        return r.status

    statuses = await asyncio.gather(*(buy(i) for i in range(30)))
    assert sorted(set(statuses)) == [201, 409] and statuses.count(201) == 12, statuses
    got = await (await api.client.get(f"/api/v1/flash-sales/{sale['id']}")).json()
    assert (got["allocated"], got["remaining"], got["sold"]) == (12, 0, 12)
    app = api.client.server.app
    assert await app[LEDGER_WORKER].drain([sale["id"]], timeout_s=20)
    check = await reconcile_sale(app[REDIS], app[ORDER_LEDGER], sale["id"])
    assert check.ok and check.ledger_orders == 12, check.lines()
