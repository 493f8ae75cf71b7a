"""The live room's realtime plane: chat, likes, viewers, pinned product and live stock over
websockets, fanned out across processes through Redis pub/sub."""

from stream_server.realtime.hub import REALTIME, RoomHub
from stream_server.realtime.routes import routes
from stream_server.realtime.types import RoomDirectory, RoomInfo

__all__ = ["REALTIME", "RoomDirectory", "RoomHub", "RoomInfo", "routes"]
