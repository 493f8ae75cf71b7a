"""The ops dashboard in real Chromium: sign in with an ops token, live charts drawn from real buys,
the sales and rooms tables, load-test figures, the Chinese switch; screenshots for the README."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import DESKTOP, PHONE, LiveServer, screenshot

# the first series of a chart (``reserved`` on the buy chart) is drawn in the palette's first colour
_RED_PIXELS = """(id) => {
  const c = document.querySelector(`#${id} canvas`);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4)
    if (Math.abs(d[i] - 228) < 30 && Math.abs(d[i + 1] - 57) < 30 && Math.abs(d[i + 2] - 60) < 30
        && d[i + 3] > 200) n++;
  return n;
}"""


def _seed(server: LiveServer) -> tuple[str, str, str]:
    ops = server.token("ops")
    host = server.token("host", "alice", store="S1")
    for sid, lat, lng in (("S1", 31.2353, 121.4747), ("S2", 31.2304, 121.4451)):
        server.ok("POST", "/api/v1/stores", {"id": sid, "name": f"Store {sid}", "city": "Shanghai",
                                             "lat": lat, "lng": lng}, ops)
    server.ok("POST", "/api/v1/products", {"sku": "SKU1", "name": "Silk scarf", "price_cents": 19900}, ops)
    for sid in ("S1", "S2"):
        server.ok("PUT", f"/api/v1/stores/{sid}/stock/SKU1", {"quantity": 50}, ops)
    room = server.ok("POST", "/api/v1/rooms", {"store_id": "S1", "title": "Silk scarves tonight"}, host)["id"]
    now = datetime.now(UTC)
    sale = server.ok("POST", "/api/v1/flash-sales", {
        "room_id": room, "sku": "SKU1", "price_cents": 9900, "starts_at": (now - timedelta(seconds=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(), "per_user_limit": 1, "payment_timeout_s": 300,
        "allocations": [{"store_id": "S1", "quantity": 30}, {"store_id": "S2", "quantity": 10}]}, ops)["id"]
    return ops, room, sale


def _buy(server: LiveServer, sale: str, token: str, key: str) -> int:
    body = json.dumps({"quantity": 1, "fulfillment": {"type": "pickup", "store_id": "S1"}}).encode()
    req = urllib.request.Request(f"{server.base}/api/v1/flash-sales/{sale}/orders", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def _buyers(server: LiveServer, sale: str, stop: threading.Event) -> None:
    """Viewers signing in and buying while the page polls: reserved runs at twice the over-limit rate,
    so the two lines never coincide."""
    i = 0
    while not stop.is_set() and i < 60:
        i += 1
        login = server.ok("POST", "/api/v1/auth/viewer", {"openid": f"e2e-{i}", "nickname": f"v{i}"})
        for key in ("a", "b") if i % 2 else ("a",):  # every other viewer taps twice: over the limit
            _buy(server, sale, login["token"], key)
        stop.wait(0.15)


def _wait_chart(page: Any, chart: str, points: int = 1, timeout_s: float = 20) -> None:
    """Until a chart holds ``points`` samples and a non-zero value (polled from Python: the page's CSP
    forbids the eval that Playwright's wait_for_function needs)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = int(page.get_attribute(f"#{chart}", "data-points") or 0)
        top = float(page.get_attribute(f"#{chart}", "data-max") or 0)
        if got >= points and top > 0:
            return
        assert time.monotonic() < deadline, f"{chart}: {got} points, max {top}"
        time.sleep(0.2)


def test_ops_dashboard_charts_live_buys(live_server: LiveServer, new_page: Any) -> None:
    ops, room, sale = _seed(live_server)
    live_server.ok("POST", "/api/v1/ops/loadtest", {
        "run_id": "e2e", "scenario": "spike", "state": "running", "users": 1000, "rps": 2500.0,
        "p50_ms": 12.0, "p99_ms": 80.0, "requests": 40000, "failures": 0, "elapsed_s": 12.0}, ops)
    page = new_page(viewport=DESKTOP)
    page.goto(live_server.base + "/ops")
    page.wait_for_selector("#signin:not([hidden])")
    assert page.is_hidden("#dash")
    page.fill("#token", ops)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#dash:not([hidden])")
    stop = threading.Event()
    buyers = threading.Thread(target=_buyers, args=(live_server, sale, stop), daemon=True)
    buyers.start()
    try:
        _wait_chart(page, "ch-buys", points=3)
        _wait_chart(page, "ch-latency")
    finally:
        stop.set()
        buyers.join(20)
    time.sleep(1.5)  # one more poll after the last buy
    assert page.evaluate(_RED_PIXELS, "ch-buys") > 20, "the reserved-per-second line is drawn"
    assert page.locator("#ch-stock canvas").count() == 1
    assert int(page.get_attribute("#ch-stock", "data-series") or 0) >= 1
    sale_row = page.locator("#sales-body tr.sale-row", has_text=sale)
    assert sale_row.count() == 1
    cells = sale_row.locator("td").all_inner_texts()
    assert cells[1] == "SKU1" and cells[3] == "40" and cells[-1] == "✓", cells
    state = live_server.ok("GET", f"/api/v1/flash-sales/{sale}")
    assert int(cells[4]) == state["remaining"] < 40, "the table shows the sale's real remaining stock"
    assert page.locator("#rooms-body tr.room-row", has_text=room).count() == 1
    assert "spike · running" in page.inner_text("#load") and "2.5k" in page.inner_text("#load")
    assert "redis ok" in page.inner_text("#v-health")
    screenshot(page, "ops-desktop")

    page.click("#lang")
    assert "运维" in page.inner_text("header h1") and "剩余" in page.inner_text("#dash")
    page.click("#lang")
    page.set_viewport_size(PHONE)
    time.sleep(1.5)
    screenshot(page, "ops-phone")
    page.reload()
    page.wait_for_selector("#dash:not([hidden])")  # the token survives a reload (localStorage)
    page.click("#signout")
    page.wait_for_selector("#signin:not([hidden])")
