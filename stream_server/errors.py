"""Errors of the stream server, by kind. Each names a ``code``; the HTTP edge maps codes to statuses."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyLive",
    "BadOffer",
    "BadStreamKey",
    "NotLive",
    "Overloaded",
    "RoomEnded",
    "RoomNotFound",
    "SessionNotFound",
    "StreamError",
]


class StreamError(Exception):
    """Root of every stream-server error: callers can catch the package's failures by kind."""

    code: str = "stream_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details


class RoomNotFound(StreamError):
    code = "not_found"

    def __init__(self, room_id: str) -> None:
        super().__init__(f"room {room_id!r} not found", resource="room", id=room_id)


class SessionNotFound(StreamError):
    code = "not_found"

    def __init__(self, session_id: str) -> None:
        super().__init__("no such session", resource="session")


class BadStreamKey(StreamError):
    """Missing or wrong stream key: refused before any media flows."""

    code = "unauthorized"


class AlreadyLive(StreamError):
    """A second publisher for a room that already has one."""

    code = "invalid_state"


class NotLive(StreamError):
    """Playback asked of a room that has no publisher (here)."""

    code = "invalid_state"


class RoomEnded(StreamError):
    """An ended room never goes live again: create a new one."""

    code = "ended"


class BadOffer(StreamError):
    """An SDP offer we cannot answer (malformed, or no codec we take); ``details`` names the field."""

    code = "invalid_request"

    def __init__(self, message: str) -> None:
        super().__init__(f"sdp: {message}", field="sdp")


class Overloaded(StreamError):
    """This process runs as many rooms or viewers as it is configured for."""

    code = "unavailable"
