"""Observability: HTTP metrics middleware, the ops snapshot (``/api/v1/ops/overview``) and its
Prometheus view, and the route a running load test reports its figures to."""

from livecommerce.observability.collector import OverviewCollector
from livecommerce.observability.http_metrics import metrics_middleware
from livecommerce.observability.overview import OpsOverview
from livecommerce.observability.routes import OPS_OVERVIEW, routes
from livecommerce.observability.shared_counters import SharedCounters
from livecommerce.observability.sources import LedgerLag, RoomsForOps, SalesForOps

__all__ = [
    "OPS_OVERVIEW",
    "LedgerLag",
    "OpsOverview",
    "OverviewCollector",
    "RoomsForOps",
    "SalesForOps",
    "SharedCounters",
    "metrics_middleware",
    "routes",
]
