"""Moving stock into and out of flash sales: allocate, release (compensation) and settle.

Every function here runs inside the caller's write transaction (``BEGIN IMMEDIATE`` on SQLite);
raising rolls everything back. Stock rows are always touched in store-id order so that concurrent
transactions on PostgreSQL lock them in the same order and cannot deadlock. Each stock change is a
conditional UPDATE checked by its row count, so concurrent callers never oversell or double-return.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory import stock as stock_levels
from inventory._sql import dialect_insert, first_missing, require_product
from inventory.errors import AlreadyExists, InsufficientStock, InvalidRequest, InvalidState, NotFound
from inventory.schema import flash_sale_allocations, flash_sales, stock
from inventory.stores import coordinates
from inventory.types import SaleAllocation, StoreShare

__all__ = ["allocate", "release", "settle"]


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(sale: SaleAllocation) -> None:
    if not sale.allocations:
        raise InvalidRequest("allocations", "at least one store allocation is required")
    seen: set[str] = set()
    for index, (store_id, quantity) in enumerate(sale.allocations):
        if store_id in seen:
            raise InvalidRequest(f"allocations.{index}.store_id", f"store {store_id!r} appears twice")
        seen.add(store_id)
        if not _is_count(quantity) or quantity <= 0:
            raise InvalidRequest(f"allocations.{index}.quantity", "must be a positive integer")
    for field in ("starts_at", "ends_at"):
        if getattr(sale, field).tzinfo is None:
            raise InvalidRequest(field, "must carry a timezone offset")
    if sale.ends_at <= sale.starts_at:
        raise InvalidRequest("ends_at", "must be after starts_at")


async def _shift(
    conn: AsyncConnection, store_id: str, sku: str, on_hand: int, allocated: int, now: datetime
) -> bool:
    """Add the deltas to one stock level unless on-hand would go negative; True if it was applied."""
    where = [stock.c.store_id == store_id, stock.c.sku == sku]
    if on_hand < 0:
        where.append(stock.c.on_hand >= -on_hand)
    result = await conn.execute(
        sa.update(stock)
        .where(*where)
        .values(on_hand=stock.c.on_hand + on_hand, allocated=stock.c.allocated + allocated, updated_at=now)
    )
    return result.rowcount == 1


async def allocate(conn: AsyncConnection, sale: SaleAllocation, now: datetime) -> list[StoreShare]:
    """Record the sale and move each allocation from on-hand to allocated, or change nothing."""
    _validate(sale)
    await require_product(conn, sale.sku)
    wanted = dict(sale.allocations)
    coords = await coordinates(conn, wanted)
    missing = first_missing(wanted, coords)
    if missing is not None:
        raise NotFound("store", missing)
    inserted = await conn.execute(
        dialect_insert(conn, flash_sales)
        .values(
            id=sale.id,
            sku=sale.sku,
            room_id=sale.room_id,
            price_cents=sale.price_cents,
            starts_at=sale.starts_at,
            ends_at=sale.ends_at,
            per_user_limit=sale.per_user_limit,
            payment_timeout_s=sale.payment_timeout_s,
            created_by=sale.created_by,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[flash_sales.c.id])
    )
    if inserted.rowcount != 1:
        raise AlreadyExists("flash_sale", sale.id)
    for store_id in sorted(wanted):
        quantity = wanted[store_id]
        if not await _shift(conn, store_id, sale.sku, -quantity, quantity, now):
            available = await stock_levels.on_hand(conn, store_id, sale.sku)
            raise InsufficientStock(store_id, sale.sku, available, quantity)
    await conn.execute(
        sa.insert(flash_sale_allocations),
        [{"sale_id": sale.id, "store_id": s, "quantity": q} for s, q in sale.allocations],
    )
    return [StoreShare(s, q, *coords[s]) for s, q in sale.allocations]


async def _allocations(conn: AsyncConnection, sale_id: str) -> dict[str, int]:
    rows = await conn.execute(
        sa.select(flash_sale_allocations.c.store_id, flash_sale_allocations.c.quantity).where(
            flash_sale_allocations.c.sale_id == sale_id
        )
    )
    return {row.store_id: int(row.quantity) for row in rows}


async def release(conn: AsyncConnection, sale_id: str, now: datetime) -> bool:
    """Give an unsettled sale's whole allocation back and forget the sale. False if it is unknown."""
    row = (
        await conn.execute(
            sa.select(flash_sales.c.sku, flash_sales.c.settled_at)
            .where(flash_sales.c.id == sale_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        return False
    if row.settled_at is not None:
        raise InvalidState(f"flash sale {sale_id!r} is settled; its stock was already returned")
    allocations = await _allocations(conn, sale_id)
    for store_id in sorted(allocations):
        quantity = allocations[store_id]
        await _shift(conn, store_id, row.sku, quantity, -quantity, now)
    await conn.execute(sa.delete(flash_sale_allocations).where(flash_sale_allocations.c.sale_id == sale_id))
    await conn.execute(sa.delete(flash_sales).where(flash_sales.c.id == sale_id))
    return True


async def settle(
    conn: AsyncConnection, sale_id: str, unsold_by_store: Mapping[str, int], now: datetime
) -> bool:
    """Close a sale once: unsold units go back on hand, the whole allocation leaves ``allocated``.

    Stores absent from ``unsold_by_store`` sold everything. Returns False if it was already settled.
    """
    claimed = await conn.execute(
        sa.update(flash_sales)
        .where(flash_sales.c.id == sale_id, flash_sales.c.settled_at.is_(None))
        .values(settled_at=now)
        .returning(flash_sales.c.sku)
    )
    sku = claimed.scalar()
    if sku is None:
        exists = await conn.scalar(sa.select(flash_sales.c.id).where(flash_sales.c.id == sale_id))
        if exists is None:
            raise NotFound("flash_sale", sale_id)
        return False
    allocations = await _allocations(conn, sale_id)
    for store_id, unsold in unsold_by_store.items():
        field = f"unsold_by_store.{store_id}"
        if store_id not in allocations:
            raise InvalidRequest(field, "store has no allocation in this sale")
        if not _is_count(unsold) or not 0 <= unsold <= allocations[store_id]:
            raise InvalidRequest(field, f"must be an integer in 0..{allocations[store_id]}")
    for store_id in sorted(allocations):
        quantity, unsold = allocations[store_id], unsold_by_store.get(store_id, 0)
        await _shift(conn, store_id, sku, unsold, -quantity, now)
        await conn.execute(
            sa.update(flash_sale_allocations)
            .where(flash_sale_allocations.c.sale_id == sale_id, flash_sale_allocations.c.store_id == store_id)
            .values(returned=unsold)
        )
    return True
