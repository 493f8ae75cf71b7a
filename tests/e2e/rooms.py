"""Shared seeds for the page tests: stores with coordinates, a product with stock, a live room fed
by a real ffmpeg WHIP publisher (320x240, 15 fps test pattern and a tone), and flash sales.

Everything goes through the public HTTP API of a ``LiveServer`` (tests/e2e/conftest.py), as a host
or ops would do it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import LiveServer, wait_for
from tests.stream_server.media import ffmpeg_publish_args

__all__ = ["Seed", "seed_stores", "LiveRoom", "start_live_room", "create_sale", "wait_for"]

# Three department stores in Shanghai, a few km apart (real-looking names and coordinates).
STORES = [
    {"id": "SH-JA", "name": "久光百货 静安店", "city": "上海", "lat": 31.2235, "lng": 121.4453},
    {"id": "SH-LJZ", "name": "正大广场 陆家嘴店", "city": "上海", "lat": 31.2371, "lng": 121.5003},
    {"id": "SH-XJH", "name": "港汇恒隆 徐家汇店", "city": "上海", "lat": 31.1960, "lng": 121.4375},
]
PRODUCTS = [
    {"sku": "SCARF-SILK", "name": "真丝印花方巾 90cm", "price_cents": 59900},
    {"sku": "CREAM-50", "name": "修护面霜 50ml", "price_cents": 32000},
    {"sku": "BAG-TOTE", "name": "小牛皮托特包", "price_cents": 129900},
    {"sku": "WATCH-LJZ", "name": "机械腕表 限量款", "price_cents": 890000, "only": "SH-LJZ"},  # one store carries it
]


@dataclass
class Seed:
    ops: str
    host: str
    store_id: str = STORES[0]["id"]
    stores: list[dict[str, Any]] = field(default_factory=lambda: STORES)
    products: list[dict[str, Any]] = field(default_factory=lambda: PRODUCTS)


def seed_stores(server: LiveServer, on_hand: int = 50) -> Seed:
    """The stores, the products and ``on_hand`` units of each product in each store."""
    ops = server.token("ops")
    for s in STORES:
        server.ok("POST", "/api/v1/stores", s, ops)
    for p in PRODUCTS:
        server.ok("POST", "/api/v1/products", {k: v for k, v in p.items() if k != "only"}, ops)
        for s in STORES:
            if p.get("only", s["id"]) != s["id"]:
                continue
            server.ok("PUT", f"/api/v1/stores/{s['id']}/stock/{p['sku']}", {"quantity": on_hand}, ops)
    host = server.token("host", "alice", store=STORES[0]["id"], nickname="Alice")
    return Seed(ops=ops, host=host)


@dataclass
class LiveRoom:
    id: str
    stream_key: str
    whip_url: str
    publisher: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        """SIGINT: ffmpeg ends the WHIP session itself, the room ends."""
        p = self.publisher
        if p is not None and p.poll() is None:
            p.send_signal(2)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def start_live_room(server: LiveServer, seed: Seed, title: str = "真丝围巾专场 · 限时秒杀",
                    seconds: float = 120, wait_hls: bool = True) -> LiveRoom:
    """A room of the seed's store, published by ffmpeg until ``seconds`` pass or ``stop()``."""
    room = server.ok("POST", "/api/v1/rooms", {"store_id": seed.store_id, "title": title}, seed.host)
    live = LiveRoom(room["id"], room["stream_key"], room["whip_url"])
    live.publisher = subprocess.Popen(ffmpeg_publish_args(live.whip_url, live.stream_key, seconds),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)

    def ready() -> bool:
        r = server.ok("GET", f"/api/v1/rooms/{live.id}")
        if r["status"] != "live":
            return False
        if not wait_hls:
            return True
        try:
            import urllib.request
            with urllib.request.urlopen(server.base + f"/live/{live.id}/index.m3u8", timeout=5) as resp:
                return b"#EXTINF" in resp.read()
        except OSError:
            return False

    try:
        wait_for(ready, 30, what=f"room {live.id} live")
    except AssertionError:
        live.stop()
        raise
    return live


def create_sale(server: LiveServer, seed: Seed, room_id: str | None, sku: str = "SCARF-SILK", *,
                price_cents: int = 19900, per_user_limit: int = 2, starts_in_s: float = -1,
                lasts_s: float = 600, payment_timeout_s: int = 300,
                allocations: dict[str, int] | None = None, pin: bool = True) -> dict[str, Any]:
    """A flash sale from the stores' stock (ops allocates across stores), pinned in the room."""
    now = datetime.now(UTC)
    alloc = allocations or {s["id"]: 5 for s in STORES}
    body = {
        "room_id": room_id, "sku": sku, "price_cents": price_cents,
        "starts_at": (now + timedelta(seconds=starts_in_s)).isoformat(),
        "ends_at": (now + timedelta(seconds=starts_in_s + lasts_s)).isoformat(),
        "per_user_limit": per_user_limit, "payment_timeout_s": payment_timeout_s,
        "allocations": [{"store_id": k, "quantity": v} for k, v in alloc.items()],
    }
    if room_id is None:
        del body["room_id"]
    sale: dict[str, Any] = server.ok("POST", "/api/v1/flash-sales", body, seed.ops)
    if pin and room_id is not None:
        server.ok("POST", f"/api/v1/rooms/{room_id}/pin", {"flash_sale_id": sale["id"]}, seed.host)
    return sale
