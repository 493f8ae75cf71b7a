"""Customer attribution routes: a viewer's own profile, and ops moving a leaving host's customers."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints

from inventory._requests import path_id
from inventory.service import INVENTORY
from livecommerce.web import Role, json_response, read_model, require

__all__ = ["routes"]

routes = web.RouteTableDef()

_HostId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    from_host: _HostId
    to_host: _HostId


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    principal = require(request, Role.VIEWER)
    customer = await request.app[INVENTORY].get_customer(principal.user_id)
    return json_response({
        "user_id": principal.user_id,
        "nickname": principal.nickname,
        "home_store_id": customer.home_store_id if customer else None,
        "host_id": customer.host_id if customer else None,
        "attributed_by": customer.source if customer else None,
    })


@routes.post("/api/v1/stores/{store_id}/customers/reassign")
async def reassign(request: web.Request) -> web.Response:
    require(request, Role.OPS)
    store_id = path_id(request.match_info["store_id"], "store_id")
    body = await read_model(request, ReassignIn)
    moved = await request.app[INVENTORY].reassign_customers(store_id, body.from_host, body.to_host)
    return json_response({"store_id": store_id, "from_host": body.from_host, "to_host": body.to_host,
                          "reassigned": moved})
