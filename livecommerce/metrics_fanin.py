"""One truthful ``/metrics`` for ``serve --workers N``.

Each worker keeps its own registry (counters, histograms and the process-local collectors of
rooms and streams alike) and serves it on a unix socket of its own in ``<data-dir>/run/``. The
``/metrics`` a scraper reaches, answered by whichever worker the kernel picked, reads every
worker's socket and returns all their samples, each labelled ``worker="<i>"``; a worker that does
not answer within a second is left out and counted in ``lc_workers_scraped`` (label ``state``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import prometheus_client
from aiohttp import web
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

__all__ = ["METRICS_FANIN", "MetricsFanIn"]

log = logging.getLogger(__name__)


class _Parsed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families


class MetricsFanIn:
    """``start()`` serves this worker's registry on its socket; ``render()`` gathers all workers."""

    def __init__(self, sockets: list[Path], index: int,
                 registry: prometheus_client.CollectorRegistry = prometheus_client.REGISTRY) -> None:
        self._sockets = sockets
        self._index = index
        self._registry = registry
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._local)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        path = self._sockets[self._index]
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        await web.UnixSite(self._runner, str(path)).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._sockets[self._index].unlink(missing_ok=True)

    async def _local(self, request: web.Request) -> web.Response:
        return web.Response(body=prometheus_client.generate_latest(self._registry),
                            headers={"Content-Type": prometheus_client.CONTENT_TYPE_LATEST})

    async def _fetch(self, index: int) -> str | None:
        if index == self._index:
            return prometheus_client.generate_latest(self._registry).decode()
        try:
            conn = aiohttp.UnixConnector(path=str(self._sockets[index]))
            async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=1.0)) as s:
                async with s.get("http://worker/metrics") as r:
                    return await r.text() if r.status == 200 else None
        except (aiohttp.ClientError, OSError, TimeoutError):
            return None

    async def render(self) -> bytes:
        texts = await asyncio.gather(*(self._fetch(i) for i in range(len(self._sockets))))
        merged: dict[str, Metric] = {}
        for index, text in enumerate(texts):
            for family in text_string_to_metric_families(text or ""):
                into = merged.get(family.name)
                if into is None:
                    into = merged[family.name] = Metric(family.name, family.documentation, family.type, family.unit)
                for sample in family.samples:
                    into.samples.append(sample._replace(labels={**sample.labels, "worker": str(index)}))
        up = Metric("lc_workers_scraped", "Workers whose metrics this answer includes (ok) or lacks (missing)",
                    "gauge")
        ok = sum(t is not None for t in texts)
        up.add_sample("lc_workers_scraped", {"state": "ok"}, ok)
        up.add_sample("lc_workers_scraped", {"state": "missing"}, len(texts) - ok)
        merged[up.name] = up
        registry = prometheus_client.CollectorRegistry(auto_describe=False)
        registry.register(_Parsed(list(merged.values())))
        return prometheus_client.generate_latest(registry)


METRICS_FANIN = web.AppKey("metrics_fanin", MetricsFanIn)
