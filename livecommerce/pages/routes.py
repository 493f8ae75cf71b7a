"""Routes for the pages and their static files (vendored libraries included: no CDN at run time).

Pages are plain HTML + ES modules under ``static/<page>/``; one HTML file per front door. Every page
response carries a Content-Security-Policy that allows only this origin (plus ``blob:`` for the media
players' MSE sources and workers), so an injected chat message can never run script.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

__all__ = ["routes", "STATIC_DIR", "CSP"]

STATIC_DIR = Path(__file__).parent / "static"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; worker-src 'self' blob:; "
       "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

_ROOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

routes = web.RouteTableDef()


def _page(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / name / "index.html", headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    })


@routes.get("/")
async def player(request: web.Request) -> web.FileResponse:
    return _page("player")


@routes.get("/rooms/{room_id}")
async def player_room(request: web.Request) -> web.FileResponse:
    """A room opened directly (a shared link); the player reads the id from its own URL."""
    if not _ROOM_ID.match(request.match_info["room_id"]):
        raise web.HTTPNotFound()
    return _page("player")


@routes.get("/console")
async def console(request: web.Request) -> web.FileResponse:
    return _page("console")


@routes.get("/ops")
async def ops(request: web.Request) -> web.FileResponse:
    return _page("ops")


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "common" / "favicon.svg",
                            headers={"Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"})


# aiohttp's static handler resolves and confines every path to the directory (no traversal, no symlinks out)
routes.static("/static", STATIC_DIR, follow_symlinks=False)
