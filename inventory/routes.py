"""HTTP routes for stores, products and stock (API.md, "Stores, products, stock").

Reads of stores and products are public (viewers pick pickup stores); writes need ops; a host may
set and read the stock of its own store. Handlers only translate: the facade does the work and its
errors carry the codes the error middleware turns into the contract's bodies.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inventory._requests import ProductIn, StockIn, StoreIn, path_id
from inventory.service import INVENTORY
from inventory.types import Product, StockLevel, Store
from livecommerce.web import ApiError, Role, json_response, read_model, require

__all__ = ["routes"]

routes = web.RouteTableDef()


def store_json(store: Store) -> dict[str, Any]:
    return {"id": store.id, "name": store.name, "city": store.city, "lat": store.lat, "lng": store.lng}


def product_json(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "price_cents": product.price_cents,
        "image_url": product.image_url,
    }


def _require_store_manager(request: web.Request) -> str:
    """The path's store id, once the caller is ops or that store's host (401/422/403 otherwise)."""
    principal = require(request, Role.OPS, Role.HOST)
    store_id = path_id(request.match_info["store_id"], "store_id")
    if not principal.may_manage_store(store_id):
        raise ApiError("forbidden", f"a host may only manage its own store, not {store_id!r}")
    return store_id


@routes.post("/api/v1/stores")
async def create_store(request: web.Request) -> web.Response:
    require(request, Role.OPS)
    body = await read_model(request, StoreIn)
    store = await request.app[INVENTORY].create_store(Store(**body.model_dump()))
    return json_response(store_json(store), status=201)


@routes.get("/api/v1/stores")
async def list_stores(request: web.Request) -> web.Response:
    return json_response([store_json(s) for s in await request.app[INVENTORY].list_stores()])


@routes.get("/api/v1/stores/{id}")
async def get_store(request: web.Request) -> web.Response:
    store_id = path_id(request.match_info["id"], "id")
    return json_response(store_json(await request.app[INVENTORY].get_store(store_id)))


@routes.post("/api/v1/products")
async def create_product(request: web.Request) -> web.Response:
    require(request, Role.OPS)
    body = await read_model(request, ProductIn)
    product = await request.app[INVENTORY].create_product(Product(**body.model_dump()))
    return json_response(product_json(product), status=201)


@routes.get("/api/v1/products")
async def list_products(request: web.Request) -> web.Response:
    return json_response([product_json(p) for p in await request.app[INVENTORY].list_products()])


@routes.put("/api/v1/stores/{store_id}/stock/{sku}")
async def set_stock(request: web.Request) -> web.Response:
    store_id = _require_store_manager(request)
    sku = path_id(request.match_info["sku"], "sku")
    body = await read_model(request, StockIn)
    level: StockLevel = await request.app[INVENTORY].set_on_hand(store_id, sku, body.quantity)
    return json_response(
        {"store_id": level.store_id, "sku": level.sku, "on_hand": level.on_hand, "allocated": level.allocated}
    )


@routes.get("/api/v1/stores/{store_id}/stock")
async def list_stock(request: web.Request) -> web.Response:
    store_id = _require_store_manager(request)
    levels = await request.app[INVENTORY].list_stock(store_id)
    return json_response([{"sku": x.sku, "on_hand": x.on_hand, "allocated": x.allocated} for x in levels])


@routes.get("/api/v1/stores/{store_id}/products")
async def store_products(request: web.Request) -> web.Response:
    """Public: the store's shelf, the products it carries (on hand, or held for a flash sale), as the
    player lists them beside a room of that store. Whether one is in stock, never how many."""
    store_id = path_id(request.match_info["store_id"], "store_id")
    inventory = request.app[INVENTORY]
    await inventory.get_store(store_id)  # an unknown store is a 404, not an empty shelf
    held = {x.sku: x for x in await inventory.list_stock(store_id) if x.on_hand + x.allocated > 0}
    return json_response([{**product_json(p), "in_stock": held[p.sku].on_hand > 0}
                          for p in await inventory.list_products() if p.sku in held])
