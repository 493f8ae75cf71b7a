"""Stores: created by ops, read by everyone (viewers pick pickup stores, sales route by coordinates)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory._sql import dialect_insert
from inventory.errors import AlreadyExists, NotFound
from inventory.schema import stores
from inventory.types import Store

__all__ = ["coordinates", "create_store", "get_store", "list_stores"]

_COLUMNS = (stores.c.id, stores.c.name, stores.c.city, stores.c.lat, stores.c.lng)


def _store(row: sa.Row) -> Store:
    return Store(id=row.id, name=row.name, city=row.city, lat=float(row.lat), lng=float(row.lng))


async def create_store(conn: AsyncConnection, store: Store, now: datetime) -> Store:
    stmt = (
        dialect_insert(conn, stores)
        .values(id=store.id, name=store.name, city=store.city, lat=store.lat, lng=store.lng, created_at=now)
        .on_conflict_do_nothing(index_elements=[stores.c.id])
    )
    result = await conn.execute(stmt)
    if result.rowcount != 1:
        raise AlreadyExists("store", store.id)
    return store


async def get_store(conn: AsyncConnection, store_id: str) -> Store:
    row = (await conn.execute(sa.select(*_COLUMNS).where(stores.c.id == store_id))).first()
    if row is None:
        raise NotFound("store", store_id)
    return _store(row)


async def list_stores(conn: AsyncConnection) -> list[Store]:
    rows = await conn.execute(sa.select(*_COLUMNS).order_by(stores.c.id))
    return [_store(row) for row in rows]


async def coordinates(conn: AsyncConnection, store_ids: Collection[str]) -> dict[str, tuple[float, float]]:
    """(lat, lng) of each existing store among ``store_ids``; absent ids are simply missing."""
    rows = await conn.execute(
        sa.select(stores.c.id, stores.c.lat, stores.c.lng).where(stores.c.id.in_(list(store_ids)))
    )
    return {row.id: (float(row.lat), float(row.lng)) for row in rows}
