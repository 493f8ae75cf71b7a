"""Latency quantiles over a recent window, from a histogram's cumulative buckets.

The dashboard wants "p99 of the buy route now", not since start. Each reading keeps the bucket
counts (of one process, or summed over all of them); the quantile is taken from the difference
against a reading ``window_s`` old, interpolated inside the bucket the way PromQL's
``histogram_quantile`` does.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence

from prometheus_client import Histogram

__all__ = ["histogram_buckets", "bucket_quantile", "LatencyWindow"]

Buckets = list[tuple[float, float]]  # (upper bound, cumulative count), ascending, ending with +Inf


def histogram_buckets(child: Histogram) -> Buckets:
    """The cumulative buckets of one labelled histogram child."""
    out: Buckets = []
    for family in child.collect():
        for s in family.samples:
            if s.name.endswith("_bucket"):
                out.append((float(s.labels["le"]), s.value))
    return out


def bucket_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """``histogram_quantile``: None without observations; the last finite bound for the +Inf bucket."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    prev_bound, prev_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return prev_bound
            inside = count - prev_count
            return prev_bound + (bound - prev_bound) * ((rank - prev_count) / inside if inside else 1.0)
        prev_bound, prev_count = bound, count
    return prev_bound


class LatencyWindow:
    """Quantiles over the last ``window_s`` of a series of cumulative bucket readings."""

    def __init__(self, window_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window_s
        self._clock = clock
        self._readings: deque[tuple[float, Buckets]] = deque()

    def quantiles(self, current: Buckets, qs: Sequence[float]) -> dict[float, float | None]:
        """Add a reading; quantiles of what was observed since the newest reading ``window_s`` old."""
        now = self._clock()
        self._readings.append((now, current))
        while len(self._readings) > 1 and self._readings[1][0] <= now - self._window:
            self._readings.popleft()
        old = dict(self._readings[0][1])
        delta = [(b, c - old.get(b, 0.0)) for b, c in current]
        return {q: bucket_quantile(q, delta) for q in qs}
