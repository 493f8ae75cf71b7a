"""The order ledger: one row per flash-sale order, written from the sales' Redis Streams.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-15

Written out by hand, like 0001, so it stays what it was when later revisions change the schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("sale_id", sa.String(64), nullable=False),
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
        _ts("created_at"),
        _ts("expires_at"),
        _ts("paid_at", nullable=True),
        _ts("closed_at", nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("order_id", name="pk_orders"),
        sa.ForeignKeyConstraint(["sale_id"], ["flash_sales.id"], name="fk_orders_sale_id_flash_sales"),
        sa.CheckConstraint(
            "status IN ('reserved', 'paid', 'cancelled', 'expired')", name="ck_orders_status_known"
        ),
        sa.CheckConstraint("quantity > 0", name="ck_orders_quantity_pos"),
    )
    op.create_index("ix_orders_user_created", "orders", ["user_id", "created_at", "order_id"])
    op.create_index("ix_orders_sale_created", "orders", ["sale_id", "created_at", "order_id"])


def downgrade() -> None:
    op.drop_index("ix_orders_sale_created", table_name="orders")
    op.drop_index("ix_orders_user_created", table_name="orders")
    op.drop_table("orders")
