"""Prometheus view of the ops snapshot: stock per live sale, rooms, viewers, health.

These figures are global (read from Redis), so every process exports the same values; query
them with ``max``, not ``sum``, across processes. ``/metrics`` refreshes the shared snapshot
before a scrape, so the collector itself never does I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from livecommerce.observability.overview import OpsOverview

__all__ = ["OverviewCollector"]


class OverviewCollector(Collector):
    def __init__(self, overview: OpsOverview) -> None:
        self._overview = overview

    def describe(self) -> list[Metric]:
        return []  # names are not reserved: several apps may live in one process (tests)

    def collect(self) -> Iterator[Metric]:
        snap = self._overview.last()
        if snap is None:
            return
        fields = ("allocated", "remaining", "reserved", "sold")
        sale = {f: GaugeMetricFamily(f"lc_flash_sale_{f}", f"Units {f} of each live sale", labels=["sale", "sku"])
                for f in fields}
        for s in snap["sales"]:
            for f in fields:
                sale[f].add_metric([s["id"], s["sku"]], s[f])
        yield from sale.values()
        rooms = GaugeMetricFamily("lc_rooms", "Rooms by status (the newest 50, all processes)", labels=["status"])
        for status, n in Counter(r["status"] for r in snap["rooms"]).items():
            rooms.add_metric([status], n)
        viewers = GaugeMetricFamily("lc_room_viewers", "Websocket viewers of each live room", labels=["room"])
        for r in snap["rooms"]:
            if r["status"] == "live":
                viewers.add_metric([r["id"]], r["viewers"])
        up = GaugeMetricFamily("lc_up", "1 when the backing service answers its health probe", labels=["service"])
        for name, state in snap["health"].items():
            up.add_metric([name], 1.0 if state == "ok" else 0.0)
        yield from (rooms, viewers, up)
