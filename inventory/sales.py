"""Reading flash-sale records back (the sale core reloads unsettled sales from here after a restart)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory.errors import NotFound
from inventory.schema import flash_sale_allocations, flash_sales
from inventory.types import AllocationRecord, SaleRecord

__all__ = ["get_sale", "list_sales"]


def _record(row: sa.Row, allocations: list[AllocationRecord]) -> SaleRecord:
    return SaleRecord(
        id=row.id,
        sku=row.sku,
        price_cents=int(row.price_cents),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        per_user_limit=int(row.per_user_limit),
        payment_timeout_s=int(row.payment_timeout_s),
        created_by=row.created_by,
        room_id=row.room_id,
        created_at=row.created_at,
        settled_at=row.settled_at,
        allocations=tuple(allocations),
    )


async def _load(conn: AsyncConnection, where: sa.ColumnElement[bool] | None) -> list[SaleRecord]:
    # One statement (sales outer-joined to their allocations), so one consistent snapshot on every backend.
    alloc = flash_sale_allocations
    query = (
        sa.select(flash_sales, alloc.c.store_id, alloc.c.quantity, alloc.c.returned)
        .outerjoin(alloc, alloc.c.sale_id == flash_sales.c.id)
        .order_by(flash_sales.c.created_at, flash_sales.c.id, alloc.c.store_id)
    )
    if where is not None:
        query = query.where(where)
    rows: dict[str, sa.Row] = {}
    by_sale: defaultdict[str, list[AllocationRecord]] = defaultdict(list)
    for row in await conn.execute(query):
        rows.setdefault(row.id, row)
        if row.store_id is not None:
            returned = None if row.returned is None else int(row.returned)
            by_sale[row.id].append(AllocationRecord(row.store_id, int(row.quantity), returned))
    return [_record(row, by_sale[sale_id]) for sale_id, row in rows.items()]


async def get_sale(conn: AsyncConnection, sale_id: str) -> SaleRecord:
    found = await _load(conn, flash_sales.c.id == sale_id)
    if not found:
        raise NotFound("flash_sale", sale_id)
    return found[0]


async def list_sales(conn: AsyncConnection, unsettled_only: bool = False) -> list[SaleRecord]:
    return await _load(conn, flash_sales.c.settled_at.is_(None) if unsettled_only else None)
