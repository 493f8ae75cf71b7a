"""Small SQL helpers shared by the services: the dialect's INSERT (for ON CONFLICT) and existence checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory import schema
from inventory.errors import NotFound

__all__ = ["dialect_insert", "require_product", "require_store"]


def dialect_insert(conn: AsyncConnection, table: sa.Table) -> Any:
    """An INSERT with ``on_conflict_do_nothing/do_update`` for the backend in use."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database backend {name!r}")


async def require_store(conn: AsyncConnection, store_id: str) -> None:
    found = await conn.scalar(sa.select(schema.stores.c.id).where(schema.stores.c.id == store_id))
    if found is None:
        raise NotFound("store", store_id)


async def require_product(conn: AsyncConnection, sku: str) -> None:
    found = await conn.scalar(sa.select(schema.products.c.sku).where(schema.products.c.sku == sku))
    if found is None:
        raise NotFound("product", sku)


def first_missing(wanted: Iterable[str], found: Iterable[str]) -> str | None:
    missing = sorted(set(wanted) - set(found))
    return missing[0] if missing else None
