"""Order lists, read from the ledger of record (API.md: ``GET /api/v1/me/orders``,
``GET /api/v1/flash-sales/{id}/orders``), and the ledger fallback of ``GET /api/v1/orders/{id}``.

Lists come from SQL, not Redis: the ledger holds every order of every sale, indexed for keyset
pages, and keeps them after a sale's Redis keys are gone. It trails Redis by the ledger worker's
lag (``lc_ledger_lag``; normally well under a second), so an order just bought may take a moment
to be listed; ``GET /api/v1/orders/{id}`` reads Redis first and has no such delay.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from flash_sale._records import order_view
from flash_sale.keys import SALE_ID_RE
from livecommerce.web import ApiError, Role, json_response, require, validate_query

__all__ = ["ORDER_LEDGER", "OrderLedger", "routes"]


class OrderLedger(Protocol):
    """What the order routes read from the ledger (declared here, by the consumer).

    Orders are records in the shape the scripts keep (see ``OrderLedgerSink``), so one
    ``order_view`` renders them wherever they come from.
    """

    async def get_order(self, order_id: str) -> dict[str, Any] | None: ...

    async def list_orders(
        self, *, user_id: str | None = None, sale_id: str | None = None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page newest first and the cursor of the next one (None on the last); a bad cursor
        raises an error whose ``code`` is ``invalid_request``."""
        ...

    async def sale_stores(self, sale_id: str) -> frozenset[str] | None:
        """The stores holding an allocation in the sale, or None for an unknown sale."""
        ...


ORDER_LEDGER = web.AppKey("order_ledger", OrderLedger)

routes = web.RouteTableDef()


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: Annotated[int, Field(ge=1, le=500)] = 50
    cursor: Annotated[str, Field(min_length=1, max_length=200)] | None = None


def _page(orders: list[dict[str, Any]], cursor: str | None) -> web.Response:
    return json_response({"orders": [order_view(o) for o in orders], "next_cursor": cursor})


@routes.get("/api/v1/me/orders")
async def my_orders(request: web.Request) -> web.Response:
    principal = require(request, Role.VIEWER)
    q = validate_query(request, PageQuery)
    found, cursor = await request.app[ORDER_LEDGER].list_orders(
        user_id=principal.user_id, limit=q.limit, cursor=q.cursor)
    return _page(found, cursor)


@routes.get("/api/v1/flash-sales/{sale_id}/orders")
async def sale_orders(request: web.Request) -> web.Response:
    principal = require(request, Role.HOST, Role.OPS)
    sale_id = request.match_info["sale_id"]
    q = validate_query(request, PageQuery)
    ledger = request.app[ORDER_LEDGER]
    stores = await ledger.sale_stores(sale_id) if SALE_ID_RE.match(sale_id) else None
    if stores is None:
        raise ApiError("not_found", f"no flash sale {sale_id[:64]}")
    if principal.role is Role.HOST and principal.store_id not in stores:
        raise ApiError("forbidden", f"store {principal.store_id} has no allocation in sale {sale_id}")
    found, cursor = await ledger.list_orders(sale_id=sale_id, limit=q.limit, cursor=q.cursor)
    return _page(found, cursor)


async def ledger_order(app: web.Application, order_id: str) -> dict[str, Any] | None:
    """An order from the ledger, for reads of orders no longer (or not) in Redis."""
    ledger = app.get(ORDER_LEDGER)
    return None if ledger is None else await ledger.get_order(order_id)
