"""WHIP (RFC 9725) and WHEP endpoints: SDP offer in, 201 + SDP answer + absolute Location out.

The stream key is checked before the body is even read; no ICE is offered by the server before
the key matched. Trickle ICE and ICE restarts are not supported (PATCH answers 405): the offer
must carry its candidates, as ffmpeg's, OBS' and browsers' (after gathering) do.
"""

from __future__ import annotations

from aiohttp import web

from stream_server._http import base_url, path_room_id, path_session_id, read_sdp, stream_key
from stream_server.relay import relayed
from stream_server.server import STREAM_SERVER

__all__ = ["routes"]

routes = web.RouteTableDef()


def _created(answer: str, location: str) -> web.Response:
    return web.Response(status=201, text=answer, content_type="application/sdp",
                        headers={"Location": location, "Cache-Control": "no-store"})


@routes.post("/whip/{room_id}")
async def whip_publish(request: web.Request) -> web.Response:
    room_id = path_room_id(request)
    server = request.app[STREAM_SERVER]
    key = stream_key(request)
    await server.check_publisher(room_id, key)
    offer = await read_sdp(request, server.config.max_sdp_bytes)
    session_id, answer = await server.publish(room_id, key, offer)
    return _created(answer, f"{base_url(request, server.config)}/whip/{room_id}/{session_id}")


@routes.delete("/whip/{room_id}/{session_id}")
async def whip_stop(request: web.Request) -> web.StreamResponse:
    room_id, session_id = path_room_id(request), path_session_id(request)
    server = request.app[STREAM_SERVER]
    answer = None if room_id in server.live_rooms() else await relayed(request, room_id, "whip_delete")
    if answer is not None:
        return answer
    await server.unpublish(room_id, session_id)
    # ffmpeg's muxer logs "Failed to read response from DELETE" whatever the answer: the session ends
    return web.Response(status=200)


@routes.post("/whep/{room_id}")
async def whep_play(request: web.Request) -> web.StreamResponse:
    room_id = path_room_id(request)
    server = request.app[STREAM_SERVER]
    offer = await read_sdp(request, server.config.max_sdp_bytes)
    relay = None if room_id in server.live_rooms() else await relayed(request, room_id, "whep", offer.encode())
    if relay is not None:
        return relay
    viewer_id, answer = await server.play(room_id, offer)
    return _created(answer, f"{base_url(request, server.config)}/whep/{room_id}/{viewer_id}")


@routes.delete("/whep/{room_id}/{session_id}")
async def whep_stop(request: web.Request) -> web.StreamResponse:
    room_id, viewer_id = path_room_id(request), path_session_id(request)
    server = request.app[STREAM_SERVER]
    answer = None if room_id in server.live_rooms() else await relayed(request, room_id, "whep_delete")
    if answer is not None:
        return answer
    await server.stop_playing(room_id, viewer_id)
    return web.Response(status=200)
