"""The app factory: wires the packages together, written out in plain code.

Each long-lived part is started and stopped through ``cleanup_ctx`` in dependency order:
Redis (embedded when ``REDIS_URL`` is unset) -> inventory database -> flash-sale core.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from aiohttp import web

import flash_sale
import inventory
from flash_sale import FLASH_SALES, FlashSaleCore, LocalPaymentProvider
from inventory import INVENTORY, Inventory
from inventory.db import resolve_database_url
from livecommerce import identity, ops_routes
from livecommerce.adapters import InventoryAllocator
from livecommerce.config import Settings
from livecommerce.embedded_redis import EmbeddedRedis
from livecommerce.ops_routes import HEALTH_CHECKS
from livecommerce.web import TokenSigner, error_middleware
from livecommerce.web.auth import SIGNER

__all__ = ["build_app", "SETTINGS", "REDIS"]

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", aioredis.Redis)


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    embedded: EmbeddedRedis | None = None
    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir, settings.redis_server)
        await embedded.start()
        url = embedded.url
        log.info("started private redis-server (pid %s) at %s", embedded.pid, url)
    client = aioredis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
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
    )
    await core.start()
    app[FLASH_SALES] = core
    try:
        yield
    finally:
        await core.stop()


def build_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=1024 * 1024)
    app[SETTINGS] = settings
    app[SIGNER] = TokenSigner(settings.secret)
    app[HEALTH_CHECKS] = {}
    app.cleanup_ctx.append(_redis_ctx)
    app.cleanup_ctx.append(_inventory_ctx)
    app.cleanup_ctx.append(_flash_sale_ctx)
    app.add_routes(ops_routes.routes)
    app.add_routes(identity.routes)
    app.add_routes(inventory.routes)
    app.add_routes(flash_sale.routes)
    return app
