"""Quantiles from histogram buckets: PromQL's interpolation, and a window that forgets old load."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

from livecommerce.observability.quantiles import LatencyWindow, bucket_quantile, histogram_buckets


def test_bucket_quantile_interpolates_inside_the_bucket() -> None:
    buckets = [(0.01, 50.0), (0.02, 90.0), (0.05, 100.0), (float("inf"), 100.0)]
    assert bucket_quantile(0.5, buckets) == 0.01
    assert abs(bucket_quantile(0.7, buckets) - 0.015) < 1e-9  # 20 of the 40 in (0.01, 0.02]
    assert abs(bucket_quantile(0.99, buckets) - 0.047) < 1e-9
    assert bucket_quantile(0.5, [(0.01, 0.0), (float("inf"), 0.0)]) is None
    assert bucket_quantile(0.99, [(0.01, 1.0), (float("inf"), 10.0)]) == 0.01, "+Inf: the last finite bound"


def test_window_reports_recent_latency_not_all_time() -> None:
    now = [0.0]
    hist = Histogram("t", "t", ["r"], buckets=(0.001, 0.01, 0.1, 1.0), registry=CollectorRegistry())
    child = hist.labels("x")
    window = LatencyWindow(window_s=5.0, clock=lambda: now[0])
    for _ in range(1000):
        child.observe(0.5)  # a slow past
    assert window.quantiles(histogram_buckets(child), [0.5]) == {0.5: None}, "nothing new since the first reading"
    now[0] = 10.0
    window.quantiles(histogram_buckets(child), [0.5])
    for _ in range(100):
        child.observe(0.005)
    now[0] = 16.0
    q = window.quantiles(histogram_buckets(child), [0.5, 0.99])
    assert q[0.5] is not None and 0.001 < q[0.5] <= 0.01, q
    assert q[0.99] is not None and q[0.99] <= 0.01, "the slow past is out of the window"
