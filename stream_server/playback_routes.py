"""Playback: HLS (``/live/{room_id}/{name}``: live playlist, segments, replay, cover) and HTTP-FLV
(``/live/{room_id}.flv``, what the WeChat mini-program ``<live-player>`` plays).

Only names of the shapes we write are served (a whitelist, not a sanitiser), and any file path is
checked to resolve inside the media directory: nothing else on disk can be reached. The live
window comes from memory; older segments (the replay) and other processes' rooms from disk.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from livecommerce.web import ApiError
from stream_server._http import ROOM_ID
from stream_server.relay import relayed, relayed_flv
from stream_server.server import STREAM_SERVER

__all__ = ["routes"]

routes = web.RouteTableDef()

_NAME = re.compile(r"^(?:index\.m3u8|replay\.m3u8|cover\.jpg|r\d{1,6}_\d{1,9}\.ts)$")
PLAYLIST = "application/vnd.apple.mpegurl"
_TYPES = {".m3u8": PLAYLIST, ".ts": "video/mp2t", ".jpg": "image/jpeg"}
_NO_CACHE = "no-cache"
_IMMUTABLE = "public, max-age=31536000, immutable"
_COVER = "public, max-age=10"


def _not_found() -> ApiError:
    return ApiError("not_found", "no such media")


def _file(media_dir: Path, room_id: str, name: str) -> Path:
    root = media_dir.resolve()
    path = (root / room_id / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise _not_found()
    return path


def _kind(name: str) -> str:
    return ("segment" if name.endswith(".ts") else "cover" if name.endswith(".jpg")
            else "playlist" if name == "index.m3u8" else "replay")


def _cache(name: str) -> str:
    return _IMMUTABLE if name.endswith(".ts") else _COVER if name.endswith(".jpg") else _NO_CACHE


@routes.get("/live/{room_id}/{name}")
async def media(request: web.Request) -> web.StreamResponse:
    room_id, name = request.match_info["room_id"], request.match_info["name"]
    if not ROOM_ID.fullmatch(room_id) or not _NAME.fullmatch(name):
        raise _not_found()
    server = request.app[STREAM_SERVER]
    hls = server.hls(room_id)
    if hls is None and (answer := await relayed(request, room_id, _kind(name))) is not None:
        return answer
    ctype = _TYPES[name[name.rindex("."):]]
    headers = {"Cache-Control": _cache(name), "Content-Type": ctype}
    body: bytes | None = None
    if hls is not None:
        if name == "index.m3u8":
            hls.note_playlist_fetch()
            body = hls.playlist
        elif name.endswith(".ts"):
            body = hls.segment(name)
        elif name == "replay.m3u8":
            body = hls.replay
    if body is not None:
        return web.Response(body=body, headers=headers)
    path = _file(server.config.media_dir, room_id, name)
    if name.endswith(".m3u8"):  # small and rewritten in place: read whole, not streamed
        return web.Response(body=await asyncio.to_thread(path.read_bytes), headers=headers)
    return web.FileResponse(path, headers=headers)


FLV_HEADERS = {"Content-Type": "video/x-flv", "Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
FLV_READY_WAIT_S = 5.0


@routes.get("/live/{room_id}.flv")
async def flv(request: web.Request) -> web.StreamResponse:
    """HTTP-FLV: the first burst (headers and the last GOP) through aiohttp, then the room's shared
    chunks written straight to the transport by ``LiveFlv``; the response ends with the room."""
    room_id = request.match_info["room_id"]
    if not ROOM_ID.fullmatch(room_id):
        raise _not_found()
    server = request.app[STREAM_SERVER]
    live = server.live_rooms().get(room_id)
    hub = live.flv if live is not None else await relayed_flv(request, room_id)
    waited = 0.0
    while hub is not None and not hub.ready and not hub.ended and waited < FLV_READY_WAIT_S:
        await asyncio.sleep(0.05)  # a room that just went live: its first keyframe is on its way
        waited += 0.05
    transport = request.transport
    if hub is None or not hub.ready or hub.ended or transport is None:
        raise _not_found()
    resp = web.StreamResponse(headers=FLV_HEADERS if live is not None else {**FLV_HEADERS, "X-LC-Proxied": "1"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    viewer = hub.join(transport)
    try:
        await resp.write(hub.first_burst())
        hub.go_live(viewer)
        await viewer.done.wait()
        if not viewer.dropped and not transport.is_closing():
            await resp.write_eof()
    except (ConnectionError, RuntimeError):
        pass  # the viewer went away
    finally:
        hub.leave(viewer)
    return resp
