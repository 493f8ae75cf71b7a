"""Attribution of viewers to stores and hosts: who is whose customer.

A viewer's home store is fixed once: by the first store referral they arrive with (``?ref=`` on
login), or else the store nearest to their first delivery address. The host comes with the
referral (``ref=<store>:<host>``) or with the sale of that first delivery. Ops may move the
customers of a host who leaves to another host of the same store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory import schema
from inventory._sql import dialect_insert
from inventory.schema import UtcDateTime

__all__ = ["Customer", "DeliveryFirst", "customers", "attribute_referral", "attribute_deliveries", "get", "reassign"]

customers = sa.Table(
    "customers",
    schema.metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("home_store_id", sa.String(64), sa.ForeignKey("stores.id"), nullable=False),
    sa.Column("host_id", sa.String(128), nullable=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("source IN ('referral', 'delivery')", name="source_known"),
    sa.Index("ix_customers_store_host", "home_store_id", "host_id"),
)


@dataclass(frozen=True, slots=True)
class Customer:
    user_id: str
    home_store_id: str
    host_id: str | None
    source: str


@dataclass(frozen=True, slots=True)
class DeliveryFirst:
    """A delivery order seen by the ledger: a candidate for a viewer's first attribution."""

    user_id: str
    lat: float
    lng: float
    host_id: str | None


def _km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat, dlng = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlng / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


async def attribute_referral(
    conn: AsyncConnection, user_id: str, store_id: str, host_id: str | None, now: datetime
) -> bool:
    """First referral wins; a referral to an unknown store is ignored. True when it attributed."""
    if await conn.scalar(sa.select(schema.stores.c.id).where(schema.stores.c.id == store_id)) is None:
        return False
    stmt = dialect_insert(conn, customers).values(
        user_id=user_id, home_store_id=store_id, host_id=host_id, source="referral", created_at=now, updated_at=now
    ).on_conflict_do_nothing(index_elements=["user_id"])
    return bool((await conn.execute(stmt)).rowcount)


async def attribute_deliveries(conn: AsyncConnection, firsts: Sequence[DeliveryFirst], now: datetime) -> int:
    """Attribute viewers not attributed yet to the store nearest their (first) delivery address."""
    if not firsts:
        return 0
    users = sorted({f.user_id for f in firsts})
    known = set((await conn.execute(sa.select(customers.c.user_id).where(customers.c.user_id.in_(users)))).scalars())
    fresh: dict[str, DeliveryFirst] = {}
    for f in firsts:  # in ledger order: the first delivery of each viewer
        if f.user_id not in known:
            fresh.setdefault(f.user_id, f)
    if not fresh:
        return 0
    stores = (await conn.execute(sa.select(schema.stores.c.id, schema.stores.c.lat, schema.stores.c.lng))).all()
    if not stores:
        return 0
    rows = []
    for f in fresh.values():
        nearest = min(stores, key=lambda s: _km(f.lat, f.lng, s.lat, s.lng))
        rows.append({"user_id": f.user_id, "home_store_id": nearest.id, "host_id": f.host_id, "source": "delivery",
                     "created_at": now, "updated_at": now})
    stmt = dialect_insert(conn, customers).values(rows).on_conflict_do_nothing(index_elements=["user_id"])
    return int((await conn.execute(stmt)).rowcount or 0)


async def get(conn: AsyncConnection, user_id: str) -> Customer | None:
    row = (await conn.execute(sa.select(customers).where(customers.c.user_id == user_id))).first()
    return None if row is None else Customer(row.user_id, row.home_store_id, row.host_id, row.source)


async def reassign(conn: AsyncConnection, store_id: str, from_host: str, to_host: str, now: datetime) -> int:
    result = await conn.execute(
        sa.update(customers)
        .where(customers.c.home_store_id == store_id, customers.c.host_id == from_host)
        .values(host_id=to_host, updated_at=now)
    )
    return int(result.rowcount or 0)
