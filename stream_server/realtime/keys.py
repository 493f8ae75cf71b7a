"""App keys of the realtime plane's collaborators (filled by the composition root)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = ["ROOM_DIRECTORY", "PIN_SOURCE"]

#: a ``RoomDirectory``
ROOM_DIRECTORY: web.AppKey[Any] = web.AppKey("room_directory", object)
#: a ``PinSource``
PIN_SOURCE: web.AppKey[Any] = web.AppKey("pin_source", object)
