"""The ops snapshot: one cheap read of rooms, live sales, counters, health and load-test figures.

Polled each second by every open dashboard and by each Prometheus scrape, so a snapshot is shared
for ``max_age_s`` and at most one refresh runs at a time. Each section fails alone: with Redis down
the snapshot still answers, with that section empty and the health saying why.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from flash_sale.tasks import cancel_and_wait
from livecommerce.observability.quantiles import LatencyWindow
from livecommerce.observability.shared_counters import SharedCounters

__all__ = ["OpsOverview", "SaleSource", "RoomSource", "LOADTEST_KEY"]

log = logging.getLogger(__name__)

#: The latest figures a running load test reported (JSON, with a TTL).
LOADTEST_KEY = "lc:ops:loadtest"
MAX_SALES = 50
MAX_ROOMS = 50


class SaleSource(Protocol):
    """What the overview needs of the flash-sale core: active sale ids and their public views."""

    async def active_ids(self) -> list[str]: ...
    async def view(self, sale_id: str) -> dict[str, Any]: ...


class RoomSource(Protocol):
    """Rooms (all processes, from Redis) and this process' ingest figures per live room."""

    async def rooms(self, limit: int) -> list[dict[str, Any]]: ...
    def ingest(self) -> dict[str, dict[str, Any]]: ...


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class OpsOverview:
    def __init__(
        self,
        redis: aioredis.Redis,
        sales: SaleSource,
        rooms: RoomSource,
        health: Mapping[str, Callable[[], Awaitable[bool]]],
        ledger_lag: Callable[[list[str]], Awaitable[int]],
        counters: SharedCounters,
        *,
        max_age_s: float = 0.5,
    ) -> None:
        self._redis, self._sales, self._rooms = redis, sales, rooms
        self._health, self._ledger_lag, self._max_age = health, ledger_lag, max_age_s
        self._counters = counters
        self._buy_latency = LatencyWindow()
        self._snapshot: dict[str, Any] | None = None
        self._at = 0.0
        self._refreshing: asyncio.Task[dict[str, Any]] | None = None

    async def snapshot(self) -> dict[str, Any]:
        """The shared snapshot, refreshed when older than ``max_age_s``."""
        if self._snapshot is not None and time.monotonic() - self._at < self._max_age:
            return self._snapshot
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._refresh())
        return await asyncio.shield(self._refreshing)

    async def stop(self) -> None:
        """Cancel a refresh still running at shutdown (it would outlive Redis otherwise)."""
        task, self._refreshing = self._refreshing, None
        await cancel_and_wait(task)

    async def report_loadtest(self, figures: Mapping[str, Any], ttl_s: int) -> None:
        """Keep a load test's latest figures (one test at a time: the last report wins)."""
        await self._redis.set(LOADTEST_KEY, orjson.dumps(dict(figures)), ex=ttl_s)
        self._at = 0.0  # the next snapshot shows them

    def last(self, max_age_s: float = 10.0) -> dict[str, Any] | None:
        """The latest snapshot if younger than ``max_age_s`` (under ``--workers`` the workers not
        scraped keep an old one: their copy of the global gauges is then left out)."""
        if self._snapshot is None or time.monotonic() - self._at > max_age_s:
            return None
        return self._snapshot

    async def _refresh(self) -> dict[str, Any]:
        health, sales, rooms, loadtest, shared = await asyncio.gather(
            self._read_health(), self._read_sales(), self._read_rooms(), self._read_loadtest(),
            self._guard("counters", self._counters.read(), {}))
        lag = await self._guard("ledger", self._ledger_lag([s["id"] for s in sales]), None)
        buckets = sorted((float(k[7:]), float(v)) for k, v in shared.items() if k.startswith("buylat:"))
        q = self._buy_latency.quantiles(buckets, (0.5, 0.99))
        snap = {
            "generated_at": _iso(time.time()),
            "pid": os.getpid(),
            "health": health,
            "rooms_live": sum(1 for r in rooms if r["status"] == "live"),
            "rooms": rooms,
            "sales": sales,
            "counters": {  # every process' counts (pushed to Redis each second)
                "buy_attempts": {k[4:]: v for k, v in shared.items() if k.startswith("buy:")},
                "orders": {k: shared.get(f"closed:{k}", 0) for k in ("paid", "cancelled", "expired")},
            },
            "latency_ms": {"buy": {"p50": _ms(q[0.5]), "p99": _ms(q[0.99])}},
            "ledger_lag": lag,
            "loadtest": loadtest,
        }
        self._snapshot, self._at = snap, time.monotonic()
        return snap

    async def _guard(self, what: str, aw: Awaitable[Any], default: Any) -> Any:
        try:
            async with asyncio.timeout(2.0):
                return await aw
        except Exception as exc:  # noqa: BLE001 - one part's failure must not blank the dashboard
            log.info("ops overview: %s unavailable: %r", what, exc)
            return default

    async def _read_health(self) -> dict[str, str]:
        names = list(self._health)
        results = await asyncio.gather(*(self._guard(n, probe(), False) for n, probe in self._health.items()))
        return {n: "ok" if r is True else "down" for n, r in zip(names, results, strict=True)}

    async def _read_sales(self) -> list[dict[str, Any]]:
        ids = (await self._guard("sales", self._sales.active_ids(), []))[:MAX_SALES]
        views = await asyncio.gather(*(self._guard("sale", self._sales.view(i), None) for i in ids))
        return [v for v in views if v is not None]

    async def _read_rooms(self) -> list[dict[str, Any]]:
        rooms = await self._guard("rooms", self._rooms.rooms(MAX_ROOMS), [])
        ingest = self._rooms.ingest()
        return [{**r, "ingest": ingest.get(r["id"])} for r in rooms]

    async def _read_loadtest(self) -> dict[str, Any] | None:
        raw = await self._guard("loadtest", self._redis.get(LOADTEST_KEY), None)
        return orjson.loads(raw) if raw else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)
