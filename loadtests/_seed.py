"""Seeds a server for a load test through the public API: stores, a product, stock, rooms, a sale."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["Api", "SHANGHAI_STORES", "seed"]

#: Department stores around Shanghai (lat, lng); more stores cycle through these with an offset.
SHANGHAI_STORES = [(31.2353, 121.4747), (31.2304, 121.4451), (31.1886, 121.4394), (31.2243, 121.4759),
                   (31.2397, 121.4998), (31.2145, 121.4208)]


class Api:
    """A tiny JSON client (stdlib only) for seeding and checking; raises on unexpected statuses."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base.rstrip("/"), token

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             expect: tuple[int, ...] = (200, 201)) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": "Bearer " + (token or self.token), "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        if status not in expect:
            raise RuntimeError(f"{method} {path} answered {status}: {raw[:300]!r}")
        return json.loads(raw) if raw else None


def seed(api: Api, host_tokens: dict[str, str], *, stock: int, rooms: int, sale_in_s: float, sale_s: float,
         payment_timeout_s: int, per_user_limit: int = 1) -> dict[str, Any]:
    """Stores S1..Sn (n = len(host_tokens)) with ``stock`` units split across them, ``rooms`` rooms
    spread over the stores, and one sale in the first room starting ``sale_in_s`` from now."""
    stores = sorted(host_tokens)
    for i, sid in enumerate(stores):
        lat, lng = SHANGHAI_STORES[i % len(SHANGHAI_STORES)]
        api.call("POST", "/api/v1/stores", {"id": sid, "name": f"Store {sid}", "city": "Shanghai",
                                            "lat": lat + 0.01 * (i // 6), "lng": lng}, expect=(201, 409))
    api.call("POST", "/api/v1/products", {"sku": "SKU1", "name": "Silk scarf", "price_cents": 19900},
             expect=(201, 409))
    shares = [stock // len(stores) + (1 if i < stock % len(stores) else 0) for i in range(len(stores))]
    for sid, share in zip(stores, shares, strict=True):
        api.call("PUT", f"/api/v1/stores/{sid}/stock/SKU1", {"quantity": share + 1000})  # hosts' sales too
    room_store: dict[str, str] = {}
    for i in range(rooms):
        sid = stores[i % len(stores)]
        room = api.call("POST", "/api/v1/rooms", {"store_id": sid, "title": f"Evening live {i + 1}"},
                        token=host_tokens[sid])
        room_store[room["id"]] = sid
    starts = datetime.now(UTC) + timedelta(seconds=sale_in_s)
    sale = api.call("POST", "/api/v1/flash-sales", {
        "room_id": next(iter(room_store), None), "sku": "SKU1", "price_cents": 9900,
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(seconds=sale_s)).isoformat(),
        "per_user_limit": per_user_limit, "payment_timeout_s": payment_timeout_s,
        "allocations": [{"store_id": s, "quantity": q} for s, q in zip(stores, shares, strict=True) if q > 0]})
    if room_store:
        first = next(iter(room_store))
        api.call("POST", f"/api/v1/rooms/{first}/pin", {"flash_sale_id": sale["id"]},
                 token=host_tokens[room_store[first]])
    return {"sale": sale, "starts_epoch": starts.timestamp(), "stores": stores, "room_store": room_store,
            "seeded_at": time.time()}
