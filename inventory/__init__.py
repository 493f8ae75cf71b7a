"""Inventory of record: stores, products, per-store stock, the allocation of stock into flash sales
and the order ledger.

SQL (SQLite embedded, PostgreSQL in production) through SQLAlchemy Core; schema by alembic migrations
applied at start. Use the ``Inventory`` facade; mount ``routes`` with the facade under ``INVENTORY``.
"""

from __future__ import annotations

from inventory.db import resolve_database_url
from inventory.errors import (
    AlreadyExists,
    InsufficientStock,
    InvalidRequest,
    InvalidState,
    InventoryError,
    NotFound,
)
from inventory.ledger import ORDER_STATUSES, LedgerOrder, OrderPage
from inventory.routes import routes
from inventory.service import INVENTORY, Inventory
from inventory.types import (
    AllocationRecord,
    Product,
    SaleAllocation,
    SaleRecord,
    StockLevel,
    Store,
    StoreShare,
)

__all__ = [
    "INVENTORY",
    "AllocationRecord",
    "AlreadyExists",
    "InsufficientStock",
    "InvalidRequest",
    "InvalidState",
    "Inventory",
    "InventoryError",
    "LedgerOrder",
    "NotFound",
    "ORDER_STATUSES",
    "OrderPage",
    "Product",
    "SaleAllocation",
    "SaleRecord",
    "StockLevel",
    "Store",
    "StoreShare",
    "resolve_database_url",
    "routes",
]
