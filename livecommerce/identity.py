"""Viewer sign-in: stands in for the mini-program code-to-session exchange.

A real provider (WeChat ``jscode2session``) plugs in behind ``POST /api/v1/auth/viewer``;
here the openid is trusted and mapped to a stable user id.
"""

from __future__ import annotations

import re
from typing import Annotated

import pydantic
from aiohttp import web

from inventory import INVENTORY
from livecommerce.web import ApiError, Role, json_response, read_model
from livecommerce.web.auth import SIGNER

__all__ = ["routes"]

routes = web.RouteTableDef()


class ViewerLogin(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    openid: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
    nickname: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=32, strip_whitespace=True)] | None = (
        None
    )


_REF = re.compile(r"^([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_.-]{1,64}))?$")


@routes.post("/api/v1/auth/viewer")
async def viewer_login(request: web.Request) -> web.Response:
    """``?ref=<store>`` or ``?ref=<store>:<host>``: the referral a viewer arrives with (a store's
    QR code, a host's share link). The first one fixes the viewer's home store and host."""
    ref = request.query.get("ref")
    match = _REF.match(ref) if ref is not None else None
    if ref is not None and match is None:
        raise ApiError("invalid_request", "ref: expected <store_id> or <store_id>:<host_id>", field="ref")
    body = await read_model(request, ViewerLogin)
    signer = request.app[SIGNER]
    user_id = signer.user_id_for_openid(body.openid)
    nickname = body.nickname or f"viewer-{user_id[-4:]}"
    token = signer.mint(Role.VIEWER, user_id, nickname=nickname)
    answer = {"token": token, "user_id": user_id, "nickname": nickname}
    if match is not None:  # only a referral touches the database: sign-in stays a cheap, hot route
        inventory = request.app[INVENTORY]
        await inventory.attribute_referral(user_id, match.group(1), match.group(2))
        customer = await inventory.get_customer(user_id)
        answer["home_store_id"] = customer.home_store_id if customer else None
    return json_response(answer)
