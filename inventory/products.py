"""Products: the catalog flash sales draw from."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory._sql import dialect_insert
from inventory.errors import AlreadyExists, NotFound
from inventory.schema import products
from inventory.types import Product

__all__ = ["create_product", "get_product", "list_products"]

_COLUMNS = (products.c.sku, products.c.name, products.c.price_cents, products.c.image_url)


def _product(row: sa.Row) -> Product:
    return Product(sku=row.sku, name=row.name, price_cents=int(row.price_cents), image_url=row.image_url)


async def create_product(conn: AsyncConnection, product: Product, now: datetime) -> Product:
    stmt = (
        dialect_insert(conn, products)
        .values(
            sku=product.sku,
            name=product.name,
            price_cents=product.price_cents,
            image_url=product.image_url,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[products.c.sku])
    )
    result = await conn.execute(stmt)
    if result.rowcount != 1:
        raise AlreadyExists("product", product.sku)
    return product


async def get_product(conn: AsyncConnection, sku: str) -> Product:
    row = (await conn.execute(sa.select(*_COLUMNS).where(products.c.sku == sku))).first()
    if row is None:
        raise NotFound("product", sku)
    return _product(row)


async def list_products(conn: AsyncConnection) -> list[Product]:
    rows = await conn.execute(sa.select(*_COLUMNS).order_by(products.c.sku))
    return [_product(row) for row in rows]
