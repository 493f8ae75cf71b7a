"""The media plane: WHIP ingest, HLS packaging with ffmpeg, WHEP relay, recording and replay.

Wire it with a ``StreamServer`` (started/stopped by the app's ``cleanup_ctx``) under
``STREAM_SERVER`` and mount ``routes``. Publishers' video is never decoded on its way to players:
see ``stream_server/protocols`` for each protocol and ``stream.py`` for the fan-out between them.
"""

from __future__ import annotations

from aiohttp import web

from stream_server import playback_routes, room_routes, rtc_routes
from stream_server.config import StreamConfig
from stream_server.errors import StreamError
from stream_server.rooms import RoomStore
from stream_server.server import STREAM_SERVER, StoreDirectory, StreamServer
from stream_server.types import MediaPacket, Room, RoomStatus

__all__ = [
    "STREAM_SERVER",
    "MediaPacket",
    "Room",
    "RoomStatus",
    "RoomStore",
    "StoreDirectory",
    "StreamConfig",
    "StreamError",
    "StreamServer",
    "routes",
]

routes: list[web.RouteDef] = [*room_routes.routes, *rtc_routes.routes, *playback_routes.routes]  # type: ignore[list-item]
