"""Inventory of record: stores, products, per-store stock, flash sales and their allocations.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written out by hand (not imported from ``inventory.schema``) so it stays what it was when later
revisions change the schema. The order ledger follows in 0002.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False, default: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default else None,
    )


def upgrade() -> None:
    op.create_table(
        "stores",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        _ts("created_at", default=True),
        sa.PrimaryKeyConstraint("id", name="pk_stores"),
    )
    op.create_table(
        "products",
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("image_url", sa.String(500), nullable=True),
        _ts("created_at", default=True),
        sa.PrimaryKeyConstraint("sku", name="pk_products"),
        sa.CheckConstraint("price_cents >= 0", name="ck_products_price_nonneg"),
    )
    op.create_table(
        "stock",
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.Column("allocated", sa.BigInteger(), nullable=False, server_default="0"),
        _ts("updated_at", default=True),
        sa.PrimaryKeyConstraint("store_id", "sku", name="pk_stock"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name="fk_stock_store_id_stores"),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name="fk_stock_sku_products"),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_on_hand_nonneg"),
        sa.CheckConstraint("allocated >= 0", name="ck_stock_allocated_nonneg"),
    )
    op.create_table(
        "flash_sales",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("room_id", sa.String(64), nullable=True),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        _ts("starts_at"),
        _ts("ends_at"),
        sa.Column("per_user_limit", sa.Integer(), nullable=False),
        sa.Column("payment_timeout_s", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _ts("created_at", default=True),
        _ts("settled_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_flash_sales"),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name="fk_flash_sales_sku_products"),
        sa.CheckConstraint("price_cents >= 0", name="ck_flash_sales_price_nonneg"),
    )
    op.create_table(
        "flash_sale_allocations",
        sa.Column("sale_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("sale_id", "store_id", name="pk_flash_sale_allocations"),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["flash_sales.id"], name="fk_flash_sale_allocations_sale_id_flash_sales"
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name="fk_flash_sale_allocations_store_id_stores"
        ),
        sa.CheckConstraint("quantity > 0", name="ck_flash_sale_allocations_quantity_pos"),
        sa.CheckConstraint(
            "returned IS NULL OR (returned >= 0 AND returned <= quantity)",
            name="ck_flash_sale_allocations_returned_range",
        ),
    )


def downgrade() -> None:
    for table in ("flash_sale_allocations", "flash_sales", "stock", "products", "stores"):
        op.drop_table(table)
