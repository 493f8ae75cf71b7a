"""Per-room media metrics for Prometheus, read from the live rooms at scrape time.

A collector rather than labelled gauges: nothing to update on the media path, and a room that
ends simply stops being reported (no stale label sets to remove).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from stream_server.server import StreamServer

__all__ = ["StreamCollector"]


class StreamCollector(Collector):
    def __init__(self, server: StreamServer) -> None:
        self._server = server

    def describe(self) -> list[Metric]:
        return []  # names are not reserved: several apps may live in one process (tests)

    def collect(self) -> Iterator[Metric]:
        now = time.monotonic()
        rooms = self._server.live_rooms()
        live = GaugeMetricFamily("lc_stream_live_rooms", "Rooms with a publisher in this process")
        live.add_metric([], len(rooms))
        bitrate = GaugeMetricFamily("lc_stream_ingest_bitrate_bps", "Ingest bitrate over 2 s", labels=["room"])
        fps = GaugeMetricFamily("lc_stream_ingest_fps", "Ingest video frames per second over 2 s", labels=["room"])
        delay = GaugeMetricFamily("lc_stream_packaging_delay_seconds",
                                  "From the frame that closes a segment reaching ffmpeg to the segment being served",
                                  labels=["room"])
        hls = GaugeMetricFamily("lc_stream_hls_viewers", "HLS players (playlist fetches per target duration)",
                                labels=["room"])
        whep = GaugeMetricFamily("lc_stream_whep_viewers", "WebRTC (WHEP) viewers", labels=["room"])
        flv = GaugeMetricFamily("lc_stream_flv_viewers", "HTTP-FLV viewers", labels=["room"])
        flv_dropped = CounterMetricFamily("lc_stream_flv_dropped", "HTTP-FLV viewers cut for falling behind",
                                          labels=["room"])
        restarts = CounterMetricFamily("lc_stream_packager_restarts", "ffmpeg restarts after a crash", labels=["room"])
        fwd_up = GaugeMetricFamily("lc_stream_forward_up", "1 while a forward to an external RTMP origin delivers",
                                   labels=["room", "target"])
        fwd_restarts = CounterMetricFamily("lc_stream_forward_restarts", "Forward ffmpeg restarts (origin lost)",
                                           labels=["room", "target"])
        for room_id, room in rooms.items():
            if room.stream is not None:
                bitrate.add_metric([room_id], room.stream.meter.bitrate_bps(now))
                fps.add_metric([room_id], room.stream.meter.fps(now))
            if room.hls.packaging_delay_s is not None:
                delay.add_metric([room_id], room.hls.packaging_delay_s)
            hls.add_metric([room_id], room.hls.viewers(now))
            whep.add_metric([room_id], len(room.viewers))
            flv.add_metric([room_id], len(room.flv.viewers))
            flv_dropped.add_metric([room_id], room.flv.dropped)
            restarts.add_metric([room_id], room.packager.restarts if room.packager else 0)
            for forwarder in room.forwarders:
                fwd_up.add_metric([room_id, forwarder.label], 1.0 if forwarder.up else 0.0)
                fwd_restarts.add_metric([room_id, forwarder.label], forwarder.restarts)
        yield from (live, bitrate, fps, delay, hls, whep, flv, flv_dropped, restarts, fwd_up, fwd_restarts)
