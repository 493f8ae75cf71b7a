"""Customers: each viewer's home store and host, for attribution.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Written out by hand, like 0001 and 0002, so it stays what it was when later revisions change the schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("home_store_id", sa.String(64), nullable=False),
        sa.Column("host_id", sa.String(128), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_customers"),
        sa.ForeignKeyConstraint(["home_store_id"], ["stores.id"], name="fk_customers_home_store_id_stores"),
        sa.CheckConstraint("source IN ('referral', 'delivery')", name="ck_customers_source_known"),
    )
    op.create_index("ix_customers_store_host", "customers", ["home_store_id", "host_id"])


def downgrade() -> None:
    op.drop_index("ix_customers_store_host", table_name="customers")
    op.drop_table("customers")
