"""Operational routes: health, server time (the player's countdown clock), Prometheus metrics."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import prometheus_client
from aiohttp import web

from livecommerce.metrics_fanin import METRICS_FANIN
from livecommerce.observability.routes import OPS_OVERVIEW
from livecommerce.web import json_response

__all__ = ["routes", "HEALTH_CHECKS"]

routes = web.RouteTableDef()

#: name -> async probe returning True when healthy; filled by the app factory.
HEALTH_CHECKS = web.AppKey("health_checks", dict)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    checks = request.app[HEALTH_CHECKS]
    results = await asyncio.gather(
        *(asyncio.wait_for(probe(), 2.0) for probe in checks.values()), return_exceptions=True
    )
    state = {name: ("ok" if r is True else "down") for name, r in zip(checks, results, strict=True)}
    healthy = all(v == "ok" for v in state.values())
    return json_response({"status": "ok" if healthy else "degraded", **state}, status=200 if healthy else 503)


@routes.get("/api/v1/time")
async def server_time(request: web.Request) -> web.Response:
    now = time.time()
    iso = datetime.fromtimestamp(now, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json_response({"now": iso, "epoch_ms": int(now * 1000)})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    if OPS_OVERVIEW in request.app:
        await request.app[OPS_OVERVIEW].snapshot()  # stock, rooms, health: read once, shared with the dashboard
    fanin = request.app.get(METRICS_FANIN)
    body = await fanin.render() if fanin is not None else prometheus_client.generate_latest()
    return web.Response(body=body, headers={"Content-Type": prometheus_client.CONTENT_TYPE_LATEST})
