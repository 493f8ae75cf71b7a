"""The order ledger of record: one row per flash-sale order, written in batches by the ledger worker.

Rows come from a Redis Stream that may deliver an event twice, or late after a reclaim, so every
write is an idempotent upsert whose status only moves forward (``reserved -> paid | cancelled |
expired``): a closed row is never reopened. Lists are keyset-paginated on (created_at, order_id),
newest first, each served by one index. The table is declared here, beside its only queries.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory._sql import dialect_insert
from inventory.errors import InvalidRequest
from inventory.schema import UtcDateTime, metadata

__all__ = ["ORDER_STATUSES", "LedgerOrder", "OrderPage", "get", "orders", "page", "statuses", "upsert"]

ORDER_STATUSES = ("reserved", "paid", "cancelled", "expired")

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_id", sa.String(64), primary_key=True),
    sa.Column("sale_id", sa.String(64), sa.ForeignKey("flash_sales.id"), nullable=False),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("nickname", sa.Text(), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("amount_cents", sa.BigInteger(), nullable=False),
    sa.Column("store_id", sa.String(64), nullable=False),
    sa.Column("fulfillment", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("room_id", sa.String(64), nullable=True),
    sa.Column("host_id", sa.String(128), nullable=True),
    sa.Column("idempotency_key", sa.String(64), nullable=False),
    sa.Column("payment_ref", sa.String(128), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("paid_at", UtcDateTime(), nullable=True),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('reserved', 'paid', 'cancelled', 'expired')", name="status_known"),
    sa.CheckConstraint("quantity > 0", name="quantity_pos"),
    sa.Index("ix_orders_user_created", "user_id", "created_at", "order_id"),
    sa.Index("ix_orders_sale_created", "sale_id", "created_at", "order_id"),
)


@dataclass(frozen=True, slots=True)
class LedgerOrder:
    """One order as the ledger keeps it; times are timezone-aware UTC."""

    order_id: str
    sale_id: str
    user_id: str
    sku: str
    quantity: int
    amount_cents: int
    store_id: str
    status: str
    idempotency_key: str
    created_at: datetime
    expires_at: datetime
    fulfillment: dict[str, Any] = field(default_factory=dict)
    nickname: str = ""
    room_id: str | None = None
    host_id: str | None = None
    payment_ref: str | None = None
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: list[LedgerOrder]
    next_cursor: str | None


_COLUMNS = tuple(c.name for c in orders.columns)


def _row(order: LedgerOrder, now: datetime) -> dict[str, Any]:
    if order.status not in ORDER_STATUSES:
        raise InvalidRequest("status", f"unknown order status {order.status!r}")
    row = {name: getattr(order, name) for name in _COLUMNS}
    row["updated_at"] = now
    return row


async def upsert(conn: AsyncConnection, batch: Sequence[LedgerOrder], now: datetime) -> None:
    """Insert new orders and move existing ones forward; one statement, one row per order id.

    A row already closed (paid, cancelled, expired) is left as it is, whatever the batch says. Rows
    are written in order_id order, so concurrent workers lock them in one order and cannot deadlock.
    """
    if not batch:
        return
    ins = dialect_insert(conn, orders)
    ex = ins.excluded
    stmt = ins.on_conflict_do_update(
        index_elements=[orders.c.order_id],
        set_={
            "status": ex.status,
            "payment_ref": sa.func.coalesce(ex.payment_ref, orders.c.payment_ref),
            "paid_at": sa.func.coalesce(ex.paid_at, orders.c.paid_at),
            "closed_at": sa.func.coalesce(ex.closed_at, orders.c.closed_at),
            "updated_at": ex.updated_at,
        },
        where=sa.and_(orders.c.status == "reserved", ex.status != "reserved"),
    )
    await conn.execute(stmt, [_row(o, now) for o in sorted(batch, key=lambda o: o.order_id)])


def _order(row: sa.Row) -> LedgerOrder:
    return LedgerOrder(**{name: getattr(row, name) for name in _COLUMNS})


async def get(conn: AsyncConnection, order_id: str) -> LedgerOrder | None:
    row = (await conn.execute(sa.select(orders).where(orders.c.order_id == order_id))).first()
    return None if row is None else _order(row)


_CURSOR = re.compile(r"^(\d{1,17})~([A-Za-z0-9_-]{1,64})$")


def _encode_cursor(order: LedgerOrder) -> str:
    micros = int(order.created_at.timestamp()) * 1_000_000 + order.created_at.microsecond
    return base64.urlsafe_b64encode(f"{micros}~{order.order_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        m = _CURSOR.match(text)
        if m is None:
            raise ValueError(cursor)
        micros = int(m.group(1))
        at = datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(microsecond=micros % 1_000_000)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError, OSError) as exc:
        raise InvalidRequest("cursor", "not a cursor returned by this API") from exc
    return at, m.group(2)


async def page(
    conn: AsyncConnection, *, user_id: str | None = None, sale_id: str | None = None,
    limit: int = 50, cursor: str | None = None,
) -> OrderPage:
    """One page of a user's or a sale's orders, newest first; ``next_cursor`` None on the last page."""
    if (user_id is None) == (sale_id is None):
        raise InvalidRequest("filter", "exactly one of user_id and sale_id")
    if not 1 <= limit <= 500:
        raise InvalidRequest("limit", "must be in 1..500")
    c = orders.c
    query = sa.select(orders).where(c.user_id == user_id if user_id is not None else c.sale_id == sale_id)
    if cursor is not None:
        at, order_id = _decode_cursor(cursor)
        query = query.where(sa.or_(c.created_at < at, sa.and_(c.created_at == at, c.order_id < order_id)))
    query = query.order_by(c.created_at.desc(), c.order_id.desc()).limit(limit + 1)
    found = [_order(row) for row in await conn.execute(query)]
    more = len(found) > limit
    found = found[:limit]
    return OrderPage(found, _encode_cursor(found[-1]) if more else None)


async def statuses(conn: AsyncConnection, sale_id: str) -> dict[str, str]:
    """order_id -> status of every order of one sale (for reconciliation against Redis)."""
    rows = await conn.execute(sa.select(orders.c.order_id, orders.c.status).where(orders.c.sale_id == sale_id))
    return {row.order_id: row.status for row in rows}
