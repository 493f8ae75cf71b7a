"""The live room's realtime plane: chat, likes, viewers, pinned product and live stock over
websockets, fanned out across processes through Redis pub/sub."""

from aiohttp import web

from stream_server.realtime import pin_routes
from stream_server.realtime import socket_routes as _socket_routes
from stream_server.realtime.hub import REALTIME, RoomHub
from stream_server.realtime.keys import PIN_SOURCE, ROOM_DIRECTORY
from stream_server.realtime.types import PinSource, RoomDirectory, RoomInfo, SaleFeed

__all__ = ["PIN_SOURCE", "REALTIME", "ROOM_DIRECTORY", "PinSource", "RoomDirectory", "RoomHub", "RoomInfo",
           "SaleFeed", "routes"]

routes: list[web.AbstractRouteDef] = [*_socket_routes.routes, *pin_routes.routes]
