"""The app factory: wires the packages together, written out in plain code.

Each long-lived part is started and stopped through ``cleanup_ctx`` in dependency order:
Redis (embedded when ``REDIS_URL`` is unset) -> inventory database -> flash-sale core -> ledger worker
-> stream server -> realtime plane -> ops snapshot.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import prometheus_client
import redis.asyncio as aioredis
from aiohttp import web

import flash_sale
import inventory
import stream_server
from flash_sale import (
    FLASH_SALES,
    LEDGER_WORKER,
    ORDER_LEDGER,
    FlashSaleCore,
    LedgerWorker,
    LocalPaymentProvider,
    Settlement,
)
from flash_sale.durability import DurabilityPolicy
from flash_sale.feed import SaleFeedReader
from inventory import INVENTORY, Inventory, customer_routes
from inventory.db import resolve_database_url
from livecommerce import identity, observability, ops_routes, pages
from livecommerce.adapters import InventoryAllocator, InventoryLedger, InventorySettler
from livecommerce.config import Settings
from livecommerce.embedded_redis import EmbeddedRedis
from livecommerce.metrics_fanin import METRICS_FANIN, MetricsFanIn
from livecommerce.ops_routes import HEALTH_CHECKS
from livecommerce.realtime_adapters import PinCatalog, RoomsForRealtime
from livecommerce.redis_client import connect_redis
from livecommerce.supervisor import internal_socket, metrics_socket
from livecommerce.web import TokenSigner, error_middleware
from livecommerce.web.auth import SIGNER
from stream_server import STREAM_SERVER, StreamConfig, StreamServer, realtime
from stream_server.realtime import PIN_SOURCE, REALTIME, ROOM_DIRECTORY, RoomHub
from stream_server.relay import MEDIA_RELAY, MediaRelay

__all__ = ["build_app", "SETTINGS", "REDIS"]

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", aioredis.Redis)
GC_THRESHOLDS = (50_000, 50, 100)


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    embedded: EmbeddedRedis | None = None
    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir, settings.redis_server)
        await embedded.start()
        url = embedded.url
        log.info("started private redis-server (pid %s) at %s", embedded.pid, url)
    client = connect_redis(url)
    app[REDIS] = client

    async def redis_ok() -> bool:
        return bool(await client.ping())

    app[HEALTH_CHECKS]["redis"] = redis_ok
    try:
        yield
    finally:
        await client.aclose()
        if embedded is not None:
            await embedded.stop()


async def _inventory_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    inv = Inventory(resolve_database_url(settings.database_url, settings.data_dir))
    await inv.start()
    app[INVENTORY] = inv
    app[HEALTH_CHECKS]["database"] = inv.ping
    try:
        yield
    finally:
        await inv.stop()


async def _flash_sale_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    core = FlashSaleCore(
        app[REDIS],
        InventoryAllocator(app[INVENTORY]),
        LocalPaymentProvider(),
        buy_rate_per_s=settings.buy_rate_per_s,
        sweep_interval_s=settings.sweep_interval_s,
        durability=DurabilityPolicy.parse(settings.buy_durability, settings.buy_durability_timeout_ms),
    )
    await core.start()
    app[FLASH_SALES] = core
    try:
        yield
    finally:
        await core.stop()


async def _ledger_ctx(app: web.Application) -> AsyncIterator[None]:
    """The ledger worker (stream -> SQL, settlement); more may run as ``livecommerce worker``."""
    ledger = InventoryLedger(app[INVENTORY])
    settlement = Settlement(app[FLASH_SALES].sales, InventorySettler(app[INVENTORY]))
    # Batches of 200 keep each pass's event-loop stall to a few ms beside the buy path (about 20 ms
    # at 1000); a separate ``livecommerce worker`` uses 1000.
    worker = LedgerWorker(app[REDIS], ledger, on_housekeeping=settlement.check, batch=200,
                          registry=prometheus_client.REGISTRY)
    app[ORDER_LEDGER] = ledger
    app[LEDGER_WORKER] = worker
    if not app[SETTINGS].run_ledger_worker:  # separate ``livecommerce worker`` processes do it
        yield
        return
    await worker.start()
    try:
        yield
    finally:
        await worker.stop()


async def _stream_ctx(app: web.Application) -> AsyncIterator[None]:
    """The media plane (rooms, WHIP/WHEP, HLS with ffmpeg); stopping it ends this process' live rooms."""
    settings = app[SETTINGS]
    async def announce(room_id: str, status: str) -> None:  # to the room's websockets (late-bound)
        await app[REALTIME].publish(room_id, "room", status=status)

    config = StreamConfig.from_env(settings.data_dir, settings.extra)
    if settings.worker_index is not None:  # the other workers reach this one on its private socket
        sock = f"unix:{internal_socket(settings.data_dir, settings.worker_index)}"
        config = replace(config, internal_url=f"{config.internal_url or ''} {sock}".strip())
    server = StreamServer(app[REDIS], app[INVENTORY], config, registry=prometheus_client.REGISTRY,
                          on_status=announce)
    await server.start()
    app[STREAM_SERVER] = server
    relay: MediaRelay | None = None
    if config.internal_url:  # several processes: media requests for rooms run elsewhere are proxied
        relay = MediaRelay(server.rooms, config.internal_url)
        await relay.start()
        app[MEDIA_RELAY] = relay
    try:
        yield
    finally:
        if relay is not None:
            await relay.stop()
        await server.stop()


async def _realtime_ctx(app: web.Application) -> AsyncIterator[None]:
    """The rooms' websockets: chat, likes, viewers, pinned card, live stock, across processes."""
    rooms = RoomsForRealtime(app[STREAM_SERVER].rooms)
    hub = RoomHub(app[REDIS], SaleFeedReader(app[REDIS]), on_viewers=rooms.set_viewers)
    app[ROOM_DIRECTORY] = rooms
    app[PIN_SOURCE] = PinCatalog(app[INVENTORY], app[FLASH_SALES])
    await hub.start()
    app[REALTIME] = hub
    try:
        yield
    finally:
        await hub.stop()


async def _metrics_ctx(app: web.Application) -> AsyncIterator[None]:
    """Under ``serve --workers N``: this worker's metrics on its socket, and /metrics from all workers."""
    settings = app[SETTINGS]
    if settings.worker_index is None:
        yield
        return
    sockets = [metrics_socket(settings.data_dir, i) for i in range(settings.worker_count)]
    fanin = MetricsFanIn(sockets, settings.worker_index)
    await fanin.start()
    app[METRICS_FANIN] = fanin
    worker = str(settings.worker_index)

    async def name_worker(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-LC-Worker"] = worker  # which process answered (an addition to the contract)

    app.on_response_prepare.append(name_worker)
    try:
        yield
    finally:
        await fanin.stop()


async def _ops_ctx(app: web.Application) -> AsyncIterator[None]:
    """The ops snapshot (dashboard, /metrics), its Prometheus collector, the counters shared in Redis."""
    counters = observability.SharedCounters(app[REDIS])
    overview = observability.OpsOverview(
        app[REDIS], observability.SalesForOps(app[FLASH_SALES]), observability.RoomsForOps(app[STREAM_SERVER]),
        app[HEALTH_CHECKS], observability.LedgerLag(app[LEDGER_WORKER]), counters)
    collector = observability.OverviewCollector(overview)
    await counters.start()
    prometheus_client.REGISTRY.register(collector)
    app[observability.OPS_OVERVIEW] = overview
    try:
        yield
    finally:
        prometheus_client.REGISTRY.unregister(collector)
        await overview.stop()
        await counters.stop()


async def _end_long_responses(app: web.Application) -> None:
    """Open HTTP-FLV streams would otherwise hold shutdown for aiohttp's whole shutdown_timeout."""
    if STREAM_SERVER in app:
        app[STREAM_SERVER].end_flv_viewers()
    if MEDIA_RELAY in app:
        app[MEDIA_RELAY].end_streams()


async def _tune_gc(app: web.Application) -> None:
    """Fewer, cheaper collections: the hot path allocates many short-lived containers, and a
    full collection walking every long-lived object stalls all requests (p99 5x better here)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def build_app(settings: Settings) -> web.Application:
    # the metrics middleware is outermost: it sees the status the error middleware answered with
    middlewares = [observability.metrics_middleware, error_middleware] if settings.http_metrics else [error_middleware]
    app = web.Application(middlewares=middlewares, client_max_size=1024 * 1024)
    app[SETTINGS] = settings
    app[SIGNER] = TokenSigner(settings.secret)
    app[HEALTH_CHECKS] = {}
    app.cleanup_ctx.append(_redis_ctx)
    app.cleanup_ctx.append(_inventory_ctx)
    app.cleanup_ctx.append(_flash_sale_ctx)
    app.cleanup_ctx.append(_ledger_ctx)
    app.cleanup_ctx.append(_stream_ctx)
    app.cleanup_ctx.append(_realtime_ctx)
    app.cleanup_ctx.append(_metrics_ctx)
    app.cleanup_ctx.append(_ops_ctx)
    app.on_startup.append(_tune_gc)
    app.on_shutdown.append(_end_long_responses)
    app.add_routes(ops_routes.routes)
    app.add_routes(observability.routes)
    app.add_routes(identity.routes)
    app.add_routes(inventory.routes)
    app.add_routes(customer_routes.routes)
    app.add_routes(flash_sale.routes)
    app.add_routes(flash_sale.ledger_routes)
    app.add_routes(stream_server.routes)
    app.add_routes(realtime.routes)
    app.add_routes(pages.routes)
    return app
