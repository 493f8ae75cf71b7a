"""HTTP metrics: canonical route labels (bounded cardinality), final statuses, streams kept out of latency."""

from __future__ import annotations

import re

from tests.flash_sale.test_routes import PICKUP_S1


def _value(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"^(\w+)\{(.*)\} (\S+)$", line)
        if m and m.group(1) == name and ",".join(sorted(m.group(2).split(","))) == want:
            return float(m.group(3))
    return 0.0


async def _metrics(api) -> str:
    r = await api.client.get("/metrics")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
    return await r.text()


async def test_requests_are_labelled_by_route_template_and_final_status(api) -> None:
    await api.seed()
    sale = await api.create_sale({"S1": 1})
    url = f"/api/v1/flash-sales/{sale['id']}/orders"
    route = "/api/v1/flash-sales/{sale_id}/orders"
    before = await _metrics(api)
    ok = dict(route=route, method="POST", status="201")
    gone = dict(route=route, method="POST", status="409")
    bad = dict(route=route, method="POST", status="422")
    r = await api.client.post(url, json=PICKUP_S1, headers={**api.viewer("a"), "Idempotency-Key": "k1"})
    assert r.status == 201
    r = await api.client.post(url, json=PICKUP_S1, headers={**api.viewer("b"), "Idempotency-Key": "k1"})
    assert r.status == 409
    r = await api.client.post(url, data=b"{not json", headers={**api.viewer("c"), "Idempotency-Key": "k1"})
    assert r.status == 422, "an ApiError answered by the error middleware is counted with its final status"
    for i in range(3):
        assert (await api.client.get(f"/no/such/path/{i}")).status == 404
    after = await _metrics(api)
    assert _value(after, "lc_http_requests_total", **ok) - _value(before, "lc_http_requests_total", **ok) == 1
    assert _value(after, "lc_http_requests_total", **gone) - _value(before, "lc_http_requests_total", **gone) == 1
    assert _value(after, "lc_http_requests_total", **bad) - _value(before, "lc_http_requests_total", **bad) == 1
    unmatched = dict(route="unmatched", method="GET", status="404")
    assert _value(after, "lc_http_requests_total", **unmatched) - _value(before, "lc_http_requests_total",
                                                                          **unmatched) == 3
    assert sale["id"] not in after.replace(f'sale="{sale["id"]}"', ""), "no raw ids in HTTP labels"
    assert "/no/such/path" not in after
    count = "lc_http_request_duration_seconds_count"
    assert _value(after, count, route=route, method="POST") - _value(before, count, route=route, method="POST") == 3


async def test_a_websocket_is_counted_but_not_timed(api) -> None:
    r = await api.client.post("/api/v1/rooms", json={"store_id": "S1", "title": "t"}, headers=api.host_s1)
    if r.status != 201:  # the room needs its store
        await api.seed()
        r = await api.client.post("/api/v1/rooms", json={"store_id": "S1", "title": "t"}, headers=api.host_s1)
    room = (await r.json())["id"]
    route = "/ws/rooms/{room_id}"
    before = await _metrics(api)
    token = api.viewer("w")["Authorization"].split()[1]
    async with api.client.ws_connect(f"/ws/rooms/{room}?token={token}") as ws:
        await ws.receive(timeout=5)
    after = await _metrics(api)
    total = sum(_value(after, "lc_http_requests_total", route=route, method="GET", status=s) -
                _value(before, "lc_http_requests_total", route=route, method="GET", status=s) for s in ("101", "200"))
    assert total == 1
    assert _value(after, "lc_http_request_duration_seconds_count", route=route, method="GET") == \
        _value(before, "lc_http_request_duration_seconds_count", route=route, method="GET")
