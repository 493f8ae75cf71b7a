"""Per-store stock levels: ``on_hand`` is what a store can sell or allocate, ``allocated`` what sales hold."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory._sql import dialect_insert, require_product, require_store
from inventory.errors import InvalidRequest
from inventory.schema import stock
from inventory.types import StockLevel

__all__ = ["list_stock", "set_on_hand"]


def _level(row: sa.Row) -> StockLevel:
    return StockLevel(
        store_id=row.store_id, sku=row.sku, on_hand=int(row.on_hand), allocated=int(row.allocated)
    )


async def set_on_hand(
    conn: AsyncConnection, store_id: str, sku: str, quantity: int, now: datetime
) -> StockLevel:
    """Set (not add to) a store's on-hand count; the first set creates the level. ``allocated`` is kept."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InvalidRequest("quantity", "must be a non-negative integer")
    await require_store(conn, store_id)
    await require_product(conn, sku)
    insert = dialect_insert(conn, stock)
    stmt = (
        insert.values(store_id=store_id, sku=sku, on_hand=quantity, allocated=0, updated_at=now)
        .on_conflict_do_update(
            index_elements=[stock.c.store_id, stock.c.sku],
            set_={"on_hand": insert.excluded.on_hand, "updated_at": insert.excluded.updated_at},
        )
        .returning(stock.c.store_id, stock.c.sku, stock.c.on_hand, stock.c.allocated)
    )
    return _level((await conn.execute(stmt)).one())


async def list_stock(conn: AsyncConnection, store_id: str) -> list[StockLevel]:
    await require_store(conn, store_id)
    rows = await conn.execute(
        sa.select(stock.c.store_id, stock.c.sku, stock.c.on_hand, stock.c.allocated)
        .where(stock.c.store_id == store_id)
        .order_by(stock.c.sku)
    )
    return [_level(row) for row in rows]


async def on_hand(conn: AsyncConnection, store_id: str, sku: str) -> int:
    """Current on-hand of one level, 0 when the store never stocked the sku."""
    value = await conn.scalar(
        sa.select(stock.c.on_hand).where(stock.c.store_id == store_id, stock.c.sku == sku)
    )
    return int(value or 0)
