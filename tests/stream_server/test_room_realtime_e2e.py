"""The whole app: a host pins a flash sale in a room, viewers' websockets show the card, its
stock falling as people buy, the purchase ticker, the viewer count, and the room ending."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientWebSocketResponse


async def _until(ws: ClientWebSocketResponse, kind: str, pred=lambda m: True, within: float = 5.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(within):
        while True:
            msg = json.loads((await ws.receive()).data)
            if msg["type"] == kind and pred(msg):
                return msg


async def test_pin_stock_purchases_viewers_and_end(api) -> None:  # type: ignore[no-untyped-def]
    await api.seed()
    r = await api.client.post("/api/v1/rooms", json={"store_id": "S1", "title": "Autumn scarves"},
                              headers=api.host_s1)
    assert r.status == 201, await r.text()
    room = await r.json()
    sale = await api.create_sale({"S1": 5, "S2": 5}, room_id=room["id"])
    token = api.viewer("watcher")["Authorization"].split()[1]
    ws = await api.client.ws_connect(f"/ws/rooms/{room['id']}?token={token}")
    other = await api.client.ws_connect(f"/ws/rooms/{room['id']}?token={api.viewer('w2')['Authorization'][7:]}")
    try:
        assert (await _until(ws, "room"))["status"] == "created"
        assert (await _until(ws, "viewers", lambda m: m["count"] == 2))["count"] == 2

        r = await api.client.post(f"/api/v1/rooms/{room['id']}/pin", json={"flash_sale_id": sale["id"]},
                                  headers=api.host_s2)
        assert r.status == 403, "a host of another store cannot pin here"
        r = await api.client.post(f"/api/v1/rooms/{room['id']}/pin", json={"flash_sale_id": sale["id"],
                                                                          "sku": "SKU1"}, headers=api.host_s1)
        assert r.status == 422
        r = await api.client.post(f"/api/v1/rooms/{room['id']}/pin", json={"flash_sale_id": sale["id"]},
                                  headers=api.host_s1)
        assert r.status == 200, await r.text()
        pin = await _until(ws, "pin")
        assert pin["product"]["name"] == "Silk scarf" and pin["flash_sale"]["id"] == sale["id"]
        assert pin["flash_sale"]["remaining"] == 10
        assert (await _until(ws, "stock"))["remaining"] == 10

        for i in range(3):
            r = await api.client.post(f"/api/v1/flash-sales/{sale['id']}/orders",
                                      json={"quantity": 1, "fulfillment": {"type": "pickup", "store_id": "S1"}},
                                      headers={**api.viewer(f"buyer{i}"), "Idempotency-Key": f"k{i}"})
            assert r.status == 201
        stock = await _until(ws, "stock", lambda m: m["remaining"] == 7)
        assert stock["flash_sale_id"] == sale["id"]
        bought = await _until(ws, "purchase")
        assert bought["sku"] == "SKU1" and bought["nickname"].startswith("buyer")

        got = await (await api.client.get(f"/api/v1/rooms/{room['id']}")).json()
        assert got["pinned"]["flash_sale"]["id"] == sale["id"] and got["viewers"] == 2

        r = await api.client.post(f"/api/v1/rooms/{room['id']}/end", headers=api.host_s1)
        assert r.status == 200
        assert (await _until(ws, "room", lambda m: m["status"] == "ended"))["status"] == "ended"
    finally:
        await ws.close()
        await other.close()
