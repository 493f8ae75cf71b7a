"""``GET /ws/rooms/{room_id}?token=...``: the room's websocket (API.md "Realtime")."""

from __future__ import annotations

import re

from aiohttp import WSMsgType, web

from livecommerce.web import ApiError, Role
from livecommerce.web.auth import SIGNER
from stream_server.realtime.connection import ClientConn
from stream_server.realtime.hub import REALTIME, RoomHub
from stream_server.realtime.keys import ROOM_DIRECTORY
from stream_server.realtime.messages import BadMessage, ChatIn, DeleteIn, LikeIn, MuteIn, out, parse_inbound
from stream_server.realtime.metrics import WS_MESSAGES_IN
from stream_server.realtime.types import RoomDirectory

__all__ = ["routes", "ROOM_DIRECTORY"]

routes = web.RouteTableDef()

_ROOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: frames above this are refused by aiohttp itself (connection closed); below it, our own
#: limit answers with an error message and the connection carries on
_HARD_FRAME_LIMIT = 64 * 1024


@routes.get("/ws/rooms/{room_id}")
async def room_socket(request: web.Request) -> web.StreamResponse:
    room_id = request.match_info["room_id"]
    if not _ROOM_ID.match(room_id):
        raise ApiError("not_found", "no such room")
    token = request.query.get("token")
    if not token:
        raise ApiError("unauthorized", "missing ?token=")
    principal = request.app[SIGNER].verify(token)
    directory: RoomDirectory = request.app[ROOM_DIRECTORY]
    room = await directory.get_room(room_id)
    if room is None:
        raise ApiError("not_found", f"no room {room_id}")
    hub = request.app[REALTIME]
    ws = web.WebSocketResponse(max_msg_size=_HARD_FRAME_LIMIT, heartbeat=20, compress=False)
    await ws.prepare(request)
    is_host = principal.role is Role.OPS or (principal.role is Role.HOST and principal.store_id == room.store_id)
    conn = ClientConn(ws, request.transport, user_id=principal.user_id,
                      nickname=principal.nickname or principal.user_id[-6:], is_host=is_host,
                      max_buffer=hub.limits.outbound_buffer)
    await hub.join(room_id, conn)
    conn.offer(out("room", status=room.status))
    try:
        async for msg in ws:
            if conn.dropped:
                break
            if msg.type is WSMsgType.TEXT:
                await _handle(hub, room_id, conn, msg.data)
            elif msg.type is WSMsgType.BINARY:
                conn.offer(out("error", code="invalid_request", message="send JSON text frames"))
    finally:
        await hub.leave(room_id, conn)
    return ws


async def _handle(hub: RoomHub, room_id: str, conn: ClientConn, raw: str) -> None:
    if len(raw.encode()) > hub.limits.max_message_bytes:
        conn.offer(out("error", code="payload_too_large",
                       message=f"messages are at most {hub.limits.max_message_bytes} bytes"))
        return
    try:
        msg = parse_inbound(raw)
    except BadMessage as exc:
        WS_MESSAGES_IN.labels("invalid").inc()
        conn.offer(out("error", code="invalid_request", message=exc.message))
        return
    WS_MESSAGES_IN.labels(msg.type).inc()
    if isinstance(msg, ChatIn):
        refused = await hub.chat(room_id, conn, msg.text)
        if refused:
            text = "you are sending too fast" if refused == "rate_limited" else "you are muted in this room"
            conn.offer(out("error", code=refused, message=text))
    elif isinstance(msg, LikeIn):
        hub.like(room_id, msg.count)
    elif isinstance(msg, MuteIn | DeleteIn):
        if not conn.is_host:
            conn.offer(out("error", code="forbidden", message="only the room's host can moderate"))
        elif isinstance(msg, MuteIn):
            await hub.mute(room_id, msg.user_id, msg.muted)
        else:
            await hub.delete_message(room_id, msg.message_id)
    else:
        conn.offer(out("pong"))
