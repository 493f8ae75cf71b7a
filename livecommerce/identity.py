"""Viewer sign-in: stands in for the mini-program code-to-session exchange.

A real provider (WeChat ``jscode2session``) plugs in behind ``POST /api/v1/auth/viewer``;
here the openid is trusted and mapped to a stable user id.
"""

from __future__ import annotations

from typing import Annotated

import pydantic
from aiohttp import web

from livecommerce.web import Role, json_response, read_model
from livecommerce.web.auth import SIGNER

__all__ = ["routes"]

routes = web.RouteTableDef()


class ViewerLogin(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    openid: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
    nickname: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=32, strip_whitespace=True)] | None = (
        None
    )


@routes.post("/api/v1/auth/viewer")
async def viewer_login(request: web.Request) -> web.Response:
    body = await read_model(request, ViewerLogin)
    signer = request.app[SIGNER]
    user_id = signer.user_id_for_openid(body.openid)
    nickname = body.nickname or f"viewer-{user_id[-4:]}"
    token = signer.mint(Role.VIEWER, user_id, nickname=nickname)
    return json_response({"token": token, "user_id": user_id, "nickname": nickname})
