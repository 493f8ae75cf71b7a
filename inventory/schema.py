"""The inventory's tables (SQLAlchemy Core). Migrations create them; this module only describes them.

Keep it in step with ``migrations/versions``: a test compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "UtcDateTime",
    "flash_sale_allocations",
    "flash_sales",
    "metadata",
    "products",
    "stock",
    "stores",
]

#: Deterministic constraint names, so later migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every backend (SQLite keeps no offset by itself)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _id(name: str, *args: Any, **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), *args, **kw)


def _created_at() -> sa.Column[datetime]:
    return sa.Column("created_at", UtcDateTime(), nullable=False, server_default=sa.func.now())


stores = sa.Table(
    "stores",
    metadata,
    _id("id", primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("city", sa.String(64), nullable=False),
    sa.Column("lat", sa.Float(), nullable=False),
    sa.Column("lng", sa.Float(), nullable=False),
    _created_at(),
)

products = sa.Table(
    "products",
    metadata,
    _id("sku", primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("price_cents", sa.BigInteger(), nullable=False),
    sa.Column("image_url", sa.String(500), nullable=True),
    _created_at(),
    sa.CheckConstraint("price_cents >= 0", name="price_nonneg"),
)

stock = sa.Table(
    "stock",
    metadata,
    _id("store_id", sa.ForeignKey("stores.id"), primary_key=True),
    _id("sku", sa.ForeignKey("products.sku"), primary_key=True),
    sa.Column("on_hand", sa.BigInteger(), nullable=False),
    sa.Column("allocated", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("updated_at", UtcDateTime(), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("on_hand >= 0", name="on_hand_nonneg"),
    sa.CheckConstraint("allocated >= 0", name="allocated_nonneg"),
)

flash_sales = sa.Table(
    "flash_sales",
    metadata,
    _id("id", primary_key=True),
    _id("sku", sa.ForeignKey("products.sku"), nullable=False),
    _id("room_id", nullable=True),
    sa.Column("price_cents", sa.BigInteger(), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Column("per_user_limit", sa.Integer(), nullable=False),
    sa.Column("payment_timeout_s", sa.Integer(), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    _created_at(),
    sa.Column("settled_at", UtcDateTime(), nullable=True),
    sa.CheckConstraint("price_cents >= 0", name="price_nonneg"),
)

flash_sale_allocations = sa.Table(
    "flash_sale_allocations",
    metadata,
    _id("sale_id", sa.ForeignKey("flash_sales.id"), primary_key=True),
    _id("store_id", sa.ForeignKey("stores.id"), primary_key=True),
    sa.Column("quantity", sa.BigInteger(), nullable=False),
    sa.Column("returned", sa.BigInteger(), nullable=True),
    sa.CheckConstraint("quantity > 0", name="quantity_pos"),
    sa.CheckConstraint("returned IS NULL OR (returned >= 0 AND returned <= quantity)", name="returned_range"),
)
