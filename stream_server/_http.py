"""Edge helpers of the media routes: the capped SDP body, path ids, stream keys, absolute URLs."""

from __future__ import annotations

import re

from aiohttp import web

from livecommerce.web import ApiError
from stream_server.config import StreamConfig

__all__ = ["ROOM_ID", "base_url", "path_room_id", "path_session_id", "read_sdp", "stream_key"]

ROOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def path_room_id(request: web.Request) -> str:
    """The room id of the URL, checked like a body field (422, never a 500)."""
    value = request.match_info["room_id"]
    if not ROOM_ID.fullmatch(value):
        raise ApiError("invalid_request", "room_id: must match ^[A-Za-z0-9_-]{1,64}$", field="room_id")
    return value


def path_session_id(request: web.Request) -> str:
    value = request.match_info["session_id"]
    if not SESSION_ID.fullmatch(value):
        raise ApiError("not_found", "no such session")
    return value


def stream_key(request: web.Request) -> str | None:
    """The bearer token of a WHIP request (a stream key, not a signed token)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def read_sdp(request: web.Request, max_bytes: int) -> str:
    """At most ``max_bytes`` of ``application/sdp`` text; 415/413/422 otherwise."""
    if request.content_type != "application/sdp":
        raise ApiError("unsupported_media_type", "expected Content-Type: application/sdp")
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError("payload_too_large", f"SDP larger than {max_bytes} bytes")
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ApiError("payload_too_large", f"SDP larger than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError("invalid_request", "sdp: not UTF-8 text", field="sdp") from exc
    if not text.startswith("v=0"):
        raise ApiError("invalid_request", "sdp: an SDP offer starts with v=0", field="sdp")
    return text


def base_url(request: web.Request, config: StreamConfig) -> str:
    """Where clients reach us: ``LC_PUBLIC_URL`` behind a proxy, else what the client asked for."""
    if config.public_url:
        return config.public_url.rstrip("/")
    return f"{request.scheme}://{request.host}"
