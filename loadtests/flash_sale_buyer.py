"""FlashSaleBuyer: signs in, joins the room, waits for the sale to start, taps buy, pays or abandons.

Each user lives one journey, the way a viewer does during a flash sale: sold out is the common,
correct ending and counts as a success; anything the contract does not promise (a 5xx, a 201
without an order id, a paid order after its window) is a failure. Run alone:

    LC_LOAD_PLAN=results/plan.json locust -f loadtests/flash_sale_buyer.py,loadtests/shape_spike.py --headless
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable alone from anywhere

from loadtests._plan import AckLog, load_plan  # noqa: E402
from loadtests._room_socket import RoomSocket  # noqa: E402

PLAN = load_plan()
ACKED = AckLog(PLAN.results_dir)
_EXPECTED_NO = {"sold_out", "limit_exceeded", "no_stock_at_store", "ended"}  # a lost race, not an error


class FlashSaleBuyer(FastHttpUser):
    host = PLAN.base_url
    wait_time = constant(1)
    connection_timeout = 20.0
    network_timeout = 30.0

    def on_start(self) -> None:
        self.openid = "lt-" + uuid.uuid4().hex[:20]
        self.auth: dict[str, str] = {}
        self.socket: RoomSocket | None = None
        self.done = False
        with self.client.post("/api/v1/auth/viewer", json={"openid": self.openid, "nickname": "buyer"},
                              catch_response=True, name="/api/v1/auth/viewer") as r:
            if r.status_code != 200:
                r.failure(f"sign-in answered {r.status_code}")
                self.done = True
                return
            login = r.json()
            self.auth = {"Authorization": "Bearer " + login["token"]}
            self.user_id = str(login["user_id"])
        if PLAN.websocket and PLAN.rooms:
            room = PLAN.rooms[hash(self.openid) % len(PLAN.rooms)]
            self.socket = RoomSocket.join(self.environment, PLAN.base_url, room, login["token"])

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()

    @task
    def flash_sale(self) -> None:
        if self.done:
            gevent.sleep(5)  # the journey is over: stay in the room, watching
            return
        self.done = True
        delay = PLAN.sale_starts_at - time.time()
        if delay > 0:
            gevent.sleep(delay)  # everyone's finger is on the button at T0
        if random.random() < PLAN.double_tap_ratio:  # an impatient thumb: two taps, two keys, one order at most
            taps = [gevent.spawn(self._tap_buy) for _ in range(2)]
            gevent.joinall(taps, timeout=60)
            orders = [t.value for t in taps if t.value]
            order = orders[0] if orders else None  # a second one would break the limit: the books check it
        else:
            order = self._tap_buy()
        if order is None:
            return
        gevent.sleep(random.uniform(0.2, 1.5))  # checking the sheet, choosing to pay
        roll = random.random()
        if roll < PLAN.pay_ratio:
            self._order_action(order, "pay", "paid")
        elif roll < PLAN.pay_ratio + (1 - PLAN.pay_ratio) / 2:
            self._order_action(order, "cancel", "cancelled")
        # else: abandons; the reservation expires and its stock returns

    def _tap_buy(self) -> str | None:
        key = uuid.uuid4().hex
        store = random.choice(PLAN.stores) if PLAN.stores else "S1"
        body = ({"quantity": 1, "fulfillment": {"type": "pickup", "store_id": store}} if random.random() < 0.5 else
                {"quantity": 1, "fulfillment": {"type": "delivery", "address": {
                    "text": "Nanjing Rd", "lat": 31.2 + random.random() / 20, "lng": 121.45 + random.random() / 20}}})
        for _ in range(20):  # a thumb taps again while the sale says "not yet" or "slow down"
            with self.client.post(f"/api/v1/flash-sales/{PLAN.sale_id}/orders", json=body, catch_response=True,
                                  headers={**self.auth, "Idempotency-Key": key},
                                  name="/api/v1/flash-sales/[id]/orders") as r:
                code = _code(r)
                if r.status_code in (200, 201):
                    order_id = r.json().get("order_id")
                    if not order_id:
                        r.failure("acknowledged without an order id")
                        return None
                    ACKED.add(order_id, self.user_id)
                    return str(order_id)
                if r.status_code == 409 and code in _EXPECTED_NO:
                    r.success()
                    return None
                if code in ("not_started", "rate_limited"):
                    r.success()
                    gevent.sleep(0.2)
                    continue
                r.failure(f"buy answered {r.status_code} {code}")
                return None
        return None

    def _order_action(self, order_id: str, action: str, status: str) -> None:
        with self.client.post(f"/api/v1/orders/{order_id}/{action}", headers=self.auth, catch_response=True,
                              name=f"/api/v1/orders/[id]/{action}") as r:
            if r.status_code == 200 and r.json().get("status") == status:
                return
            if r.status_code == 409 and _code(r) == "expired":
                r.success()  # too slow for the window: the contract's answer
                return
            r.failure(f"{action} answered {r.status_code} {_code(r)}")


def _code(r: object) -> str | None:
    try:
        return r.json()["error"]["code"]  # type: ignore[attr-defined, no-any-return]
    except Exception:  # noqa: BLE001 - not an error body
        return None
