"""HTTP routes of live rooms (API.md, "Live rooms"): create, list, read, end.

The stream key and the forwards (targets redacted, their health) are shown to whoever may manage
the room's store (the host who creates it, ops), never in the public list.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from livecommerce.web import ApiError, Role, json_response, optional_principal, read_model, require, validate_query
from stream_server._http import base_url, path_room_id
from stream_server.forward_targets import MAX_FORWARDS, MAX_URL_LENGTH, check_target, redact
from stream_server.server import STREAM_SERVER
from stream_server.types import Room, RoomStatus

__all__ = ["room_json", "routes"]

routes = web.RouteTableDef()


ForwardUrl = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)]


class RoomIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    store_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    title: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]
    #: external RTMP origins (SRS, a CDN) the room is pushed to while live
    forward: Annotated[list[ForwardUrl], Field(max_length=MAX_FORWARDS)] = []


def _forward_targets(urls: list[str], allowed_hosts: str) -> tuple[str, ...]:
    """Each target checked (forward_targets.py), duplicates refused: 422 naming the bad entry."""
    if len(set(urls)) != len(urls):
        raise ApiError("invalid_request", "forward: the same target twice", field="forward")
    for i, url in enumerate(urls):
        try:
            check_target(url, allowed_hosts)
        except ValueError as exc:
            raise ApiError("invalid_request", f"forward[{i}]: {exc}", field="forward") from exc
    return tuple(urls)


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def room_json(room: Room, base: str, with_key: bool = False) -> dict[str, Any]:
    live = room.status is RoomStatus.LIVE
    media = f"{base}/live/{room.id}"
    body: dict[str, Any] = {
        "id": room.id, "store_id": room.store_id, "title": room.title, "status": room.status.value,
        "playback": {
            "hls": f"{media}/index.m3u8" if live else None,
            "flv": f"{base}/live/{room.id}.flv" if live else None,
            "whep": f"{base}/whep/{room.id}" if live else None,
            "replay": f"{media}/replay.m3u8" if room.has_replay else None,
        },
        "pinned": room.pinned, "viewers": room.viewers,
        "cover": f"{media}/cover.jpg" if room.has_cover else None,
        "created_at": _iso(room.created_at), "started_at": _iso(room.started_at), "ended_at": _iso(room.ended_at),
    }
    if with_key:
        body["stream_key"] = room.stream_key
        body["whip_url"] = f"{base}/whip/{room.id}"
        body["forward"] = _forward_json(room, live)
    return body


def _forward_json(room: Room, live: bool) -> list[dict[str, Any]]:
    """The room's own targets (redacted) with the health last reported by the process running it;
    a target from ``LC_FORWARD_URL_TEMPLATE`` shows up once the room has been live."""
    state: dict[str, dict[str, Any]] = {str(s.get("target")): s for s in room.forward_state}
    targets = list(dict.fromkeys([*(redact(url) for url in room.forward), *state]))
    return [{"target": t, "up": live and bool(state.get(t, {}).get("up")),
             "restarts": int(state.get(t, {}).get("restarts") or 0)} for t in targets]


@routes.post("/api/v1/rooms")
async def create_room(request: web.Request) -> web.Response:
    principal = require(request, Role.HOST, Role.OPS)
    body = await read_model(request, RoomIn)
    if not principal.may_manage_store(body.store_id):
        raise ApiError("forbidden", f"a host may only open rooms for its own store, not {body.store_id!r}")
    server = request.app[STREAM_SERVER]
    forward = _forward_targets(body.forward, server.config.forward_hosts)
    room = await server.create_room(body.store_id, body.title.strip(), forward)
    return json_response(room_json(room, base_url(request, server.config), with_key=True), status=201)


@routes.get("/api/v1/rooms")
async def list_rooms(request: web.Request) -> web.Response:
    query = validate_query(request, ListQuery)
    server = request.app[STREAM_SERVER]
    base = base_url(request, server.config)
    return json_response([room_json(r, base) for r in await server.rooms.list_rooms(query.limit)])


@routes.get("/api/v1/rooms/{room_id}")
async def get_room(request: web.Request) -> web.Response:
    principal = optional_principal(request)
    room_id = path_room_id(request)
    server = request.app[STREAM_SERVER]
    room = await server.rooms.get(room_id)
    manager = principal is not None and principal.may_manage_store(room.store_id)
    return json_response(room_json(room, base_url(request, server.config), with_key=manager))


@routes.post("/api/v1/rooms/{room_id}/end")
async def end_room(request: web.Request) -> web.Response:
    principal = require(request, Role.HOST, Role.OPS)
    room_id = path_room_id(request)
    server = request.app[STREAM_SERVER]
    room = await server.rooms.get(room_id)
    if not principal.may_manage_store(room.store_id):
        raise ApiError("forbidden", "a host may only end rooms of its own store")
    room = await server.end_room(room_id)
    return json_response(room_json(room, base_url(request, server.config), with_key=True))
