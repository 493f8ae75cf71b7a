"""Host: the store's host in the console: pins the product, starts a flash sale, watches its stock.

One host per store with a room; a host may only touch its own store (the server checks). Run alone:

    LC_LOAD_PLAN=results/plan.json locust -f loadtests/host.py --headless -u 2 -r 2 -t 30s
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from locust import FastHttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable alone from anywhere

from loadtests._plan import load_plan  # noqa: E402

PLAN = load_plan()


class Host(FastHttpUser):
    host = PLAN.base_url
    wait_time = between(3, 6)
    fixed_count = min(len(PLAN.rooms), 50)  # one host per room: hosts do not scale with the audience

    def on_start(self) -> None:
        rooms = [r for r in PLAN.rooms if PLAN.room_store.get(r) in PLAN.host_tokens]
        self.room = random.choice(rooms) if rooms else ""
        store = PLAN.room_store.get(self.room, "")
        self.store = store
        self.auth = {"Authorization": "Bearer " + PLAN.host_tokens.get(store, "")}
        self.sales: list[str] = [PLAN.sale_id] if PLAN.sale_id else []

    @task(3)
    def pin(self) -> None:
        if not self.room:
            return
        body = {"flash_sale_id": self.sales[-1]} if self.sales and random.random() < 0.7 else {"sku": PLAN.sku}
        self.client.post(f"/api/v1/rooms/{self.room}/pin", json=body, headers=self.auth,
                         name="/api/v1/rooms/[room]/pin")

    @task(3)
    def watch_stock(self) -> None:
        if self.sales:
            self.client.get(f"/api/v1/flash-sales/{self.sales[-1]}", name="/api/v1/flash-sales/[id]")

    @task(1)
    def start_flash_sale(self) -> None:
        if not self.store:
            return
        now = datetime.now(UTC)
        body = {"room_id": self.room, "sku": PLAN.sku, "price_cents": 9900, "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(minutes=10)).isoformat(), "per_user_limit": 1, "payment_timeout_s": 60,
                "allocations": [{"store_id": self.store, "quantity": 5}]}
        with self.client.post("/api/v1/flash-sales", json=body, headers=self.auth, catch_response=True,
                              name="/api/v1/flash-sales") as r:
            if r.status_code == 201:
                self.sales.append(r.json()["id"])
                self.client.post(f"/api/v1/rooms/{self.room}/pin", json={"flash_sale_id": self.sales[-1]},
                                 headers=self.auth, name="/api/v1/rooms/[room]/pin")
            elif r.status_code == 409:
                r.success()  # the store's stock is all allocated: the console says so
            else:
                r.failure(f"create sale answered {r.status_code}")
