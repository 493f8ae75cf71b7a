"""The server's own view of a run: buy-route latency from its Prometheus histogram.

locust times a request from its own side, queueing in the load generator included; the server's
``lc_http_request_duration_seconds`` times the same requests from arrival to answer. Side by side
they tell which of the two was slow.
"""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from livecommerce.observability.http_metrics import BUY_ROUTE
from livecommerce.observability.quantiles import bucket_quantile

__all__ = ["server_buy_latency"]


def server_buy_latency(base: str) -> dict[str, float | None]:
    """p50/p99 (ms) and count of the buy route over the server's life (a fresh server per run)."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        text = r.read().decode()
    buckets: list[tuple[float, float]] = []
    for family in text_string_to_metric_families(text):
        if family.name != "lc_http_request_duration_seconds":
            continue
        for s in family.samples:
            if s.name.endswith("_bucket") and s.labels.get("route") == BUY_ROUTE and s.labels.get("method") == "POST":
                buckets.append((float(s.labels["le"]), s.value))
    buckets.sort()
    p50, p99 = bucket_quantile(0.5, buckets), bucket_quantile(0.99, buckets)
    return {"p50_ms": None if p50 is None else round(p50 * 1000, 1),
            "p99_ms": None if p99 is None else round(p99 * 1000, 1),
            "count": buckets[-1][1] if buckets else 0}
