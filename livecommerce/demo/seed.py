"""Seed the demo through the public HTTP API, as an operator would: stores, products, stock, a
room, a pinned product and a flash sale a minute ahead. Idempotent: what exists is reused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from livecommerce.demo.catalog import HOST_STORE, PIN_SKU, PRODUCTS, SALE_SKU, STOCK, STORES

__all__ = ["DemoRoom", "SeedError", "seed_catalog", "open_room"]

#: the sale's stores and quantities (the host's store and its Shanghai neighbours)
SALE_ALLOCATIONS = ((HOST_STORE, 40), ("sh-jingan", 30), ("sh-lujiazui", 20))


class SeedError(RuntimeError):
    """The server refused a seeding call (the message carries the route and its error body)."""


@dataclass(frozen=True, slots=True)
class DemoRoom:
    id: str
    stream_key: str
    whip_url: str
    sale_id: str
    sale_starts_at: str


class _Api:
    def __init__(self, http: aiohttp.ClientSession, base: str, token: str) -> None:
        self._http, self._base, self._auth = http, base, {"Authorization": f"Bearer {token}"}

    async def __call__(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201)) -> Any:
        async with self._http.request(method, self._base + path, json=body, headers=self._auth) as resp:
            data = await resp.json(content_type=None)
            if resp.status not in ok:
                raise SeedError(f"{method} {path}: {resp.status} {data}")
            return data


async def seed_catalog(http: aiohttp.ClientSession, base: str, ops_token: str) -> None:
    """Create the stores and products that are missing; give every store stock of each product."""
    api = _Api(http, base, ops_token)
    have_stores = {s["id"] for s in await api("GET", "/api/v1/stores")}
    for store in STORES:
        if store.id not in have_stores:
            await api("POST", "/api/v1/stores", {"id": store.id, "name": store.name, "city": store.city,
                                                 "lat": store.lat, "lng": store.lng})
    have_products = {p["sku"] for p in await api("GET", "/api/v1/products")}
    for product in PRODUCTS:
        if product.sku not in have_products:
            await api("POST", "/api/v1/products", {"sku": product.sku, "name": product.name,
                                                   "price_cents": product.price_cents,
                                                   "image_url": product.image_url})
    need = dict((store_id, qty) for store_id, qty in SALE_ALLOCATIONS)
    for store in STORES:
        levels = {x["sku"]: x["on_hand"] for x in await api("GET", f"/api/v1/stores/{store.id}/stock")}
        for product in PRODUCTS:
            on_hand = levels.get(product.sku)
            if on_hand is None or (product.sku == SALE_SKU and on_hand < need.get(store.id, 0)):
                await api("PUT", f"/api/v1/stores/{store.id}/stock/{product.sku}", {"quantity": STOCK})


async def open_room(http: aiohttp.ClientSession, base: str, ops_token: str, lead_s: float = 60.0) -> DemoRoom:
    """A new room for the host's store, a pinned product, then a sale starting ``lead_s`` ahead, pinned."""
    api = _Api(http, base, ops_token)
    room = await api("POST", "/api/v1/rooms",
                     {"store_id": HOST_STORE, "title": "Autumn silk & cashmere, live from Nanjing Road"})
    await api("POST", f"/api/v1/rooms/{room['id']}/pin", {"sku": PIN_SKU})
    product = next(p for p in PRODUCTS if p.sku == SALE_SKU)
    starts = datetime.now(UTC) + timedelta(seconds=lead_s)
    sale = await api("POST", "/api/v1/flash-sales", {
        "room_id": room["id"], "sku": SALE_SKU, "price_cents": product.price_cents * 6 // 10 // 100 * 100,
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(minutes=15)).isoformat(),
        "per_user_limit": 2, "payment_timeout_s": 120,
        "allocations": [{"store_id": s, "quantity": q} for s, q in SALE_ALLOCATIONS],
    })
    await api("POST", f"/api/v1/rooms/{room['id']}/pin", {"flash_sale_id": sale["id"]})
    return DemoRoom(room["id"], room["stream_key"], room["whip_url"], sale["id"], sale["starts_at"])
