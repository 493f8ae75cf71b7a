"""``POST /api/v1/rooms/{room_id}/pin``: the host pins a product or a flash sale (API.md)."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from livecommerce.web import ApiError, Role, json_response, read_model, require
from stream_server.realtime.hub import REALTIME
from stream_server.realtime.keys import PIN_SOURCE, ROOM_DIRECTORY
from stream_server.realtime.types import PinSource, RoomDirectory

__all__ = ["routes", "PIN_SOURCE"]

routes = web.RouteTableDef()

_Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    flash_sale_id: _Id | None = None
    sku: _Id | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PinIn:
        if (self.flash_sale_id is None) == (self.sku is None):
            raise ValueError("give exactly one of flash_sale_id or sku")
        return self


@routes.post("/api/v1/rooms/{room_id}/pin")
async def pin(request: web.Request) -> web.Response:
    principal = require(request, Role.HOST, Role.OPS)
    room_id = request.match_info["room_id"]
    directory: RoomDirectory = request.app[ROOM_DIRECTORY]
    room = await directory.get_room(room_id) if len(room_id) <= 64 else None
    if room is None:
        raise ApiError("not_found", f"no room {room_id[:64]}")
    if not principal.may_manage_store(room.store_id):
        raise ApiError("forbidden", "only a host of the room's store may pin")
    body = await read_model(request, PinIn)
    source: PinSource = request.app[PIN_SOURCE]
    sale: dict[str, Any] | None = None
    if body.flash_sale_id is not None:
        sale = await source.flash_sale(body.flash_sale_id)
        if sale is None:
            raise ApiError("not_found", f"no flash sale {body.flash_sale_id}")
        product = await source.product(sale["sku"])
    else:
        product = await source.product(body.sku or "")
    if product is None:
        raise ApiError("not_found", f"no product {body.sku or (sale or {}).get('sku')}")
    pinned = {"product": product, "flash_sale": sale}
    await request.app[REALTIME].set_pin(room_id, product, sale)
    await directory.set_pinned(room_id, pinned)
    return json_response({"room_id": room_id, "pinned": pinned})
