"""Prometheus metrics of the realtime plane (one registry: prometheus-client's default)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["WS_CONNECTIONS", "WS_MESSAGES_IN", "WS_FRAMES_OUT", "WS_DROPPED", "WS_FANOUT_SECONDS"]

WS_CONNECTIONS = Gauge("lc_ws_connections", "Open room websockets in this process")
WS_MESSAGES_IN = Counter("lc_ws_messages_in_total", "Messages received from clients", ["type"])
WS_FRAMES_OUT = Counter("lc_ws_frames_out_total", "Frames handed to client transports")
WS_DROPPED = Counter("lc_ws_dropped_total", "Clients dropped for not keeping up")
WS_FANOUT_SECONDS = Histogram(
    "lc_ws_fanout_seconds", "Time to hand one room message to every local client",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
