"""HTTP request metrics: an aiohttp middleware counting requests by route and status, with latency.

Labels use the route's canonical path (``/api/v1/flash-sales/{sale_id}/orders``), never the raw URL,
so cardinality is bounded by the route table. The metric children for each (route, method, status)
are bound once and cached: the buy path pays a dict lookup, a ``perf_counter`` and two increments.
Long-lived responses (websockets, HTTP-FLV streams: prepared by the handler itself) are counted but
kept out of the latency histogram, whose buckets are for request/response work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import Counter, Histogram

__all__ = ["REQUESTS", "LATENCY", "LATENCY_BUCKETS", "BUY_ROUTE", "metrics_middleware", "route_label"]

#: Fine below 50 ms (where the buy path lives), so quantiles read from the buckets are close.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
                   0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("lc_http_requests", "HTTP requests answered, by route, method and status",
                   ["route", "method", "status"])
LATENCY = Histogram("lc_http_request_duration_seconds", "Time to answer an HTTP request (not streams)",
                    ["route", "method"], buckets=LATENCY_BUCKETS)

BUY_ROUTE = "/api/v1/flash-sales/{sale_id}/orders"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_Children = tuple[Counter, Histogram]
_cache: dict[tuple[str, str, int], _Children] = {}  # bounded: routes x methods x statuses


def route_label(request: web.Request) -> str:
    """The canonical path of the matched route, or ``unmatched``."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _children(route: str, method: str, status: int) -> _Children:
    key = (route, method, status)
    found = _cache.get(key)
    if found is None:
        found = (REQUESTS.labels(route, method, str(status)), LATENCY.labels(route, method))
        _cache[key] = found
    return found


@web.middleware
async def metrics_middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Outermost middleware: sees the final status, including the error middleware's answers."""
    start = time.perf_counter()
    status = 500
    streamed = False
    try:
        resp = await handler(request)
        status = resp.status
        streamed = resp.prepared  # a websocket or a stream the handler wrote itself
        return resp
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = 499  # the client went away first (nginx's code for it)
        raise
    finally:
        method = request.method if request.method in _METHODS else "OTHER"
        counter, latency = _children(route_label(request), method, status)
        counter.inc()
        if not streamed:
            latency.observe(time.perf_counter() - start)
