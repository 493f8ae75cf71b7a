"""``Inventory``: the facade the app and the sale core use. It owns the engine and the transactions.

The services below it are plain functions over a connection; this class decides where each
transaction begins and ends, and whether it writes (``BEGIN IMMEDIATE`` on SQLite) or only reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inventory import allocation, customers, ledger, products, sales, stock, stores
from inventory._sql import require_store
from inventory.db import create_engine, migrate, writer
from inventory.ledger import LedgerOrder, OrderPage
from inventory.types import Product, SaleAllocation, SaleRecord, StockLevel, Store, StoreShare

__all__ = ["INVENTORY", "Inventory"]

PING_TIMEOUT_S = 2.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class Inventory:
    """Stores, products, stock of record and flash-sale allocations, over SQLite or PostgreSQL."""

    def __init__(self, database_url: str, clock: Callable[[], datetime] = utc_now) -> None:
        self._url = database_url
        self._clock = clock
        self._engine: AsyncEngine | None = None
        self._writer: AsyncEngine | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the engine and bring the schema to head (idempotent, safe across processes)."""
        if self._engine is not None:
            return
        engine = create_engine(self._url)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        self._engine, self._writer = engine, writer(engine)

    async def stop(self) -> None:
        engine, self._engine, self._writer = self._engine, None, None
        if engine is not None:
            await engine.dispose()

    async def ping(self) -> bool:
        """True when the database answers ``SELECT 1`` within a couple of seconds."""
        if self._engine is None:
            return False
        try:
            async with asyncio.timeout(PING_TIMEOUT_S), self._engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return True

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Inventory is not started")
        return self._engine

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        if self._writer is None:
            raise RuntimeError("Inventory is not started")
        async with self._writer.begin() as conn:
            yield conn

    # -- catalog ----------------------------------------------------------------------------------

    async def create_store(self, store: Store) -> Store:
        async with self._write() as conn:
            return await stores.create_store(conn, store, self._clock())

    async def get_store(self, store_id: str) -> Store:
        async with self._read() as conn:
            return await stores.get_store(conn, store_id)

    async def list_stores(self) -> list[Store]:
        async with self._read() as conn:
            return await stores.list_stores(conn)

    async def create_product(self, product: Product) -> Product:
        async with self._write() as conn:
            return await products.create_product(conn, product, self._clock())

    async def get_product(self, sku: str) -> Product:
        async with self._read() as conn:
            return await products.get_product(conn, sku)

    async def list_products(self) -> list[Product]:
        async with self._read() as conn:
            return await products.list_products(conn)

    # -- stock ------------------------------------------------------------------------------------

    async def set_on_hand(self, store_id: str, sku: str, quantity: int) -> StockLevel:
        async with self._write() as conn:
            return await stock.set_on_hand(conn, store_id, sku, quantity, self._clock())

    async def list_stock(self, store_id: str) -> list[StockLevel]:
        async with self._read() as conn:
            return await stock.list_stock(conn, store_id)

    # -- flash-sale allocations -------------------------------------------------------------------

    async def allocate_sale(self, sale: SaleAllocation) -> list[StoreShare]:
        """Move the sale's allocations out of on-hand in one transaction; all or nothing."""
        async with self._write() as conn:
            return await allocation.allocate(conn, sale, self._clock())

    async def release_sale(self, sale_id: str) -> None:
        """Undo ``allocate_sale`` completely (compensation); unknown or already released: no-op."""
        async with self._write() as conn:
            await allocation.release(conn, sale_id, self._clock())

    async def settle_sale(self, sale_id: str, unsold_by_store: Mapping[str, int]) -> bool:
        """Return unsold units to on-hand exactly once; False when the sale was already settled."""
        async with self._write() as conn:
            return await allocation.settle(conn, sale_id, unsold_by_store, self._clock())

    async def get_sale(self, sale_id: str) -> SaleRecord:
        async with self._read() as conn:
            return await sales.get_sale(conn, sale_id)

    async def list_sales(self, unsettled_only: bool = False) -> list[SaleRecord]:
        async with self._read() as conn:
            return await sales.list_sales(conn, unsettled_only)

    # -- order ledger -----------------------------------------------------------------------------

    async def record_orders(self, batch: Sequence[LedgerOrder]) -> None:
        """Upsert a batch of orders in one transaction; statuses only move forward."""
        async with self._write() as conn:
            await ledger.upsert(conn, batch, self._clock())

    async def get_order(self, order_id: str) -> LedgerOrder | None:
        async with self._read() as conn:
            return await ledger.get(conn, order_id)

    async def list_orders(
        self, *, user_id: str | None = None, sale_id: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> OrderPage:
        """A page of one user's or one sale's orders, newest first (keyset cursor)."""
        async with self._read() as conn:
            return await ledger.page(conn, user_id=user_id, sale_id=sale_id, limit=limit, cursor=cursor)

    async def order_statuses(self, sale_id: str) -> dict[str, str]:
        async with self._read() as conn:
            return await ledger.statuses(conn, sale_id)

    # -- attribution ------------------------------------------------------------------------------

    async def attribute_referral(self, user_id: str, store_id: str, host_id: str | None = None) -> bool:
        """Fix a viewer's home store (and host) by the first referral they arrive with."""
        async with self._write() as conn:
            return await customers.attribute_referral(conn, user_id, store_id, host_id, self._clock())

    async def attribute_deliveries(self, firsts: Sequence[customers.DeliveryFirst]) -> int:
        """Attribute viewers seen for the first time to the store nearest their delivery address."""
        async with self._write() as conn:
            return await customers.attribute_deliveries(conn, firsts, self._clock())

    async def get_customer(self, user_id: str) -> customers.Customer | None:
        async with self._read() as conn:
            return await customers.get(conn, user_id)

    async def reassign_customers(self, store_id: str, from_host: str, to_host: str) -> int:
        """Move the customers of a host who leaves to another host of the same store."""
        async with self._write() as conn:
            await require_store(conn, store_id)
            return await customers.reassign(conn, store_id, from_host, to_host, self._clock())


INVENTORY = web.AppKey("inventory", Inventory)
