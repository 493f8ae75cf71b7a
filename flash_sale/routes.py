"""HTTP routes of the flash-sale core (API.md "Flash sales"). The buy route is the hot path:
token check from cache, one pydantic parse, one coalesced script call."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from flash_sale import metrics
from flash_sale._records import iso_ms, order_view
from flash_sale.core import FlashSaleCore
from flash_sale.errors import Expired, FlashSaleError, OrderNotFound, SaleNotFound
from flash_sale.keys import ORDER_ID_RE, SALE_ID_RE
from flash_sale.models import Id, OrderIn, SaleIn
from flash_sale.order_routes import ledger_order
from flash_sale.sales import new_sale_id
from flash_sale.types import AllocationRequest, BuyRequest, Delivery, Pickup, SaleSnapshot, SaleSpec
from livecommerce.web import ApiError, Role, json_response, read_model, require, validate_query
from livecommerce.web.bodies import parse_model
from livecommerce.web.errors import error_response

__all__ = ["routes", "FLASH_SALES", "sale_view"]

FLASH_SALES = web.AppKey("flash_sales", FlashSaleCore)

routes = web.RouteTableDef()

_MAX_ORDER_BODY = 2048
_SOLD_OUT_BODY = orjson.dumps({"error": {"code": "sold_out", "message": "sold out", "remaining": 0}})


def _sale_id(request: web.Request) -> str:
    sale_id = request.match_info["sale_id"]
    if not SALE_ID_RE.match(sale_id):
        raise ApiError("not_found", f"no flash sale {sale_id[:64]}")
    return sale_id


def _order_id(request: web.Request) -> str:
    order_id = request.match_info["order_id"]
    if not ORDER_ID_RE.match(order_id):
        raise ApiError("not_found", f"no order {order_id[:64]}")
    return order_id


def sale_view(s: SaleSnapshot) -> dict[str, Any]:
    m = s.meta
    return {
        "id": s.id,
        "sku": s.sku,
        "room_id": m.get("room_id") or None,
        "status": s.status,
        "price_cents": int(m["price"]),
        "starts_at": iso_ms(s.starts_at_ms),
        "ends_at": iso_ms(s.ends_at_ms),
        "per_user_limit": int(m["limit"]),
        "payment_timeout_s": int(m["timeout_ms"]) // 1000,
        "allocated": s.allocated,
        "remaining": s.remaining,
        "remaining_by_store": s.remaining_by_store,
        "reserved": s.reserved,
        "sold": s.sold,
        "shards": int(m.get("shards") or 1),
    }


@routes.post("/api/v1/flash-sales")
async def create_sale(request: web.Request) -> web.Response:
    principal = require(request, Role.HOST, Role.OPS)
    body = await read_model(request, SaleIn)
    for a in body.allocations:
        if not principal.may_manage_store(a.store_id):
            raise ApiError("forbidden", f"a host of store {principal.store_id} cannot allocate {a.store_id}")
    spec = SaleSpec(
        id=new_sale_id(),
        sku=body.sku,
        price_cents=body.price_cents,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        per_user_limit=body.per_user_limit,
        payment_timeout_s=body.payment_timeout_s,
        allocations=tuple(AllocationRequest(a.store_id, a.quantity) for a in body.allocations),
        created_by=principal.user_id,
        room_id=body.room_id,
        shards=body.shards,
    )
    snapshot = await request.app[FLASH_SALES].sales.create(spec)
    return json_response(sale_view(snapshot), status=201)


class RoomSalesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    room_id: Id
    limit: Annotated[int, Field(ge=1, le=100)] = 50


@routes.get("/api/v1/flash-sales")
async def list_room_sales(request: web.Request) -> web.Response:
    """A room's sales (public, like each sale), latest start first."""
    query = validate_query(request, RoomSalesQuery)
    book = request.app[FLASH_SALES].sales
    snapshots = []
    for sale_id in await book.ids_for_room(query.room_id, query.limit):
        try:
            snapshots.append(sale_view(await book.snapshot(sale_id)))
        except SaleNotFound:  # its Redis keys were lost (a restart without AOF): nothing to show
            continue
    return json_response(snapshots)


@routes.get("/api/v1/flash-sales/{sale_id}")
async def get_sale(request: web.Request) -> web.Response:
    snapshot = await request.app[FLASH_SALES].sales.snapshot(_sale_id(request))
    return json_response(sale_view(snapshot))


@routes.post("/api/v1/flash-sales/{sale_id}/orders")
async def buy(request: web.Request) -> web.Response:
    principal = require(request, Role.VIEWER)
    key = request.headers.get("Idempotency-Key")
    if key is None or not 1 <= len(key) <= 64 or not key.isascii() or not key.isprintable() or " " in key:
        raise ApiError("invalid_request", "Idempotency-Key header: 1..64 printable ASCII characters required",
                       field="Idempotency-Key")
    sale_id = _sale_id(request)
    if request.content_length is not None and request.content_length > _MAX_ORDER_BODY:
        raise ApiError("payload_too_large", f"body larger than {_MAX_ORDER_BODY} bytes")
    raw = await request.content.read(_MAX_ORDER_BODY + 1)
    if len(raw) > _MAX_ORDER_BODY:
        raise ApiError("payload_too_large", f"body larger than {_MAX_ORDER_BODY} bytes")
    body = parse_model(OrderIn, raw)
    core = request.app[FLASH_SALES]
    if core.sold_out.is_sold_out_for(sale_id, principal.user_id, key):  # after a sell-out: no Redis, no objects
        metrics.SOLD_OUT.inc()
        return web.Response(body=_SOLD_OUT_BODY, status=409, content_type="application/json")
    f = body.fulfillment
    fulfillment: Pickup | Delivery = (
        Pickup(f.store_id) if f.type == "pickup" else Delivery(f.address.text, f.address.lat, f.address.lng)  # type: ignore[union-attr]
    )
    try:
        outcome = await core.orders.buy(
            BuyRequest(sale_id, principal.user_id, key, body.quantity, fulfillment, principal.nickname or "")
        )
    except FlashSaleError as exc:  # answered here: the storm's common outcome skips the middleware's unwinding
        metrics.count_buy(exc.code)
        return error_response(exc.code, str(exc), exc.details)
    (metrics.RESERVED if outcome.created else metrics.DUPLICATE).inc()
    return json_response(order_view(outcome.order), status=201 if outcome.created else 200)


async def _owned_order(request: web.Request) -> tuple[dict[str, Any], str]:
    principal = require(request, Role.VIEWER, Role.OPS)
    order_id = _order_id(request)
    try:
        order = await request.app[FLASH_SALES].orders.get(order_id)
    except OrderNotFound:
        found = await ledger_order(request.app, order_id)  # archived, or Redis lost it: the record
        if found is None:
            raise
        order = found
    if principal.role is not Role.OPS and order["user_id"] != principal.user_id:
        raise ApiError("not_found", f"no order {order_id}")  # never reveal others' orders
    return order, principal.user_id


@routes.get("/api/v1/orders/{order_id}")
async def get_order(request: web.Request) -> web.Response:
    order, _ = await _owned_order(request)
    return json_response(order_view(order))


@routes.post("/api/v1/orders/{order_id}/pay")
async def pay(request: web.Request) -> web.Response:
    principal = require(request, Role.VIEWER)
    try:
        order = await request.app[FLASH_SALES].orders.pay(_order_id(request), principal.user_id)
    except Expired:
        metrics.PAY_TOO_LATE.inc()
        raise
    metrics.PAID.inc()
    return json_response(order_view(order))


@routes.post("/api/v1/orders/{order_id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    principal = require(request, Role.VIEWER)
    order = await request.app[FLASH_SALES].orders.cancel(_order_id(request), principal.user_id)
    metrics.CANCELLED.inc()
    return json_response(order_view(order))
