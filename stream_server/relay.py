"""Media requests for a room live in another process, passed to that process (its owner).

A room's media lives only in the process that ingests it (in-memory HLS window, the FLV hub,
WebRTC peers), but under ``serve --workers N`` or several replicas a viewer's request lands
anywhere. The owner's internal address is recorded with the room's lease (rooms.py); a process
that gets a request for a room it does not run asks Redis who runs it and proxies the request
there, streaming the answer through. Only rooms live elsewhere pay: a local room is served as
before, and a single process without an internal address has no relay at all.

Proxied requests carry ``X-LC-Relayed`` (``replica`` or ``worker``) so that nothing loops: at
most one hop to another replica, then one to the owning worker of that replica.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import aiohttp
from aiohttp import web
from prometheus_client import Counter

from livecommerce.web import ApiError
from stream_server.flv_edge import FlvEdges
from stream_server.live_flv import LiveFlv
from stream_server.rooms import RoomStore
from stream_server.segment_cache import CachedAnswer, SegmentCache

__all__ = ["MEDIA_RELAY", "RELAYED", "MediaRelay", "relayed", "relayed_flv"]

log = logging.getLogger(__name__)

RELAYED = "X-LC-Relayed"
PROXIED = Counter("lc_stream_proxied_requests_total", "Media requests passed to the process that runs the room",
                  ["kind"])
PROXY_FAILED = Counter("lc_stream_proxy_failures_total", "Proxied media requests whose owner could not be reached",
                       ["kind"])

#: RFC 9110 7.6.1, plus what is recomputed here (length, encoding) or names the answering process
_HOP = frozenset(h.lower() for h in (
    "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Content-Encoding", "X-LC-Worker", RELAYED))
_CONNECT_S = 2.0
_READ_S = 10.0
CHUNK = 64 * 1024
MAX_SEGMENT = 16 * 1024 * 1024


def _headers(headers: Mapping[str, str], *, keep_length: bool = False) -> dict[str, str]:
    """End-to-end headers only (what ``Connection`` lists is hop-by-hop too)."""
    drop = set(_HOP) | {h.strip().lower() for h in headers.get("Connection", "").split(",")}
    if keep_length:
        drop.discard("content-length")
    return {k: v for k, v in headers.items() if k.lower() not in drop}


def _split(address: str) -> tuple[str | None, str | None]:
    parts = address.split()
    return (next((p for p in parts if not p.startswith("unix:")), None),
            next((p for p in parts if p.startswith("unix:")), None))


def _cacheable(request: web.Request, kind: str) -> bool:
    return kind == "segment" and request.method == "GET" and "Range" not in request.headers


class MediaRelay:
    """Owner lookups and the client side of proxying; ``start()``/``stop()`` own the sessions."""

    def __init__(self, rooms: RoomStore, own_address: str | None) -> None:
        self._rooms = rooms
        self.own_address = own_address
        self._tcp: aiohttp.ClientSession | None = None
        self._unix: dict[str, aiohttp.ClientSession] = {}  # one per peer worker socket (a connector each)
        self._streams: set[aiohttp.ClientResponse] = set()
        self.segments = SegmentCache()
        self.flv = FlvEdges(self)

    async def start(self) -> None:
        self._tcp = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False),
                                          auto_decompress=False)

    async def stop(self) -> None:
        self.end_streams()
        await self.flv.stop()
        sessions = [s for s in (self._tcp, *self._unix.values()) if s is not None]
        self._tcp, self._unix = None, {}
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)

    def end_streams(self) -> None:
        """Close every upstream still streaming (shutdown: viewers' responses then end)."""
        for upstream in list(self._streams):
            upstream.close()
        self.flv.finish()

    async def owner(self, request: web.Request, room_id: str) -> str | None:
        """The address to proxy this request to, or None: serve it here as before.

        An address is ``<url>``, ``unix:<socket>`` or both (``<url> unix:<socket>``: worker i of
        the replica at url). Another replica is reached at its url, where the worker that answers
        may pass it on once more to the owning worker's socket; nothing goes further."""
        hop = request.headers.get(RELAYED)
        if hop == "worker":
            return None
        owner = await self._rooms.owner(room_id)
        if not owner or owner == self.own_address:
            return None
        url, sock = _split(owner)
        my_url, _ = _split(self.own_address or "")
        if url and url != my_url:
            return url if hop is None else None
        return sock

    def _target(self, address: str, path: str) -> tuple[aiohttp.ClientSession, str]:
        if address.startswith("unix:"):
            sock = address[len("unix:"):]
            session = self._unix.get(sock)
            if session is None:
                session = aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=sock, limit=0),
                                                auto_decompress=False)
                self._unix[sock] = session
            return session, f"http://lc-owner{path}"
        if self._tcp is None:
            raise RuntimeError("MediaRelay is not started")
        return self._tcp, address.rstrip("/") + path

    async def forward(self, request: web.Request, address: str, kind: str,
                      body: bytes | None = None) -> web.StreamResponse:
        """Pass ``request`` (its path, query and end-to-end headers; ``body`` if given) to the owner
        and stream its answer back. Unreachable owner: 503 ``unavailable``.
        A live segment (never rewritten) is answered from a short-lived copy (segment_cache.py)."""
        PROXIED.labels(kind).inc()
        if _cacheable(request, kind):
            answer = await self.segments.get(request.path, lambda: self._fetch(request, address, kind))
            return web.Response(status=answer.status, body=answer.body, headers=answer.headers)
        upstream = await self.open(request, address, kind, body)
        self._streams.add(upstream)
        try:
            return await self._copy(request, upstream)
        finally:
            self._streams.discard(upstream)
            if upstream.content.at_eof():
                upstream.release()  # read to the end: the connection goes back to the pool
            else:
                upstream.close()

    async def open(self, request: web.Request, address: str, kind: str, body: bytes | None = None,
                   stream: bool = False) -> aiohttp.ClientResponse:
        """The owner's answer to ``request`` (headers read); 503 ``unavailable`` if unreachable."""
        session, url = self._target(address, request.rel_url.raw_path_qs if request.rel_url.query_string
                                    else request.rel_url.raw_path)
        hop = "worker" if address.startswith("unix:") else "replica"
        headers = {**_headers(request.headers), RELAYED: hop, "Host": request.host}
        timeout = aiohttp.ClientTimeout(total=None if stream else _READ_S, sock_connect=_CONNECT_S,
                                        sock_read=_READ_S)
        try:
            return await session.request(request.method, url, data=body, headers=headers, timeout=timeout,
                                         allow_redirects=False)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            PROXY_FAILED.labels(kind).inc()
            log.warning("%s %s: the room's process at %s is unreachable: %r", request.method, request.path,
                        address, exc)
            raise ApiError("unavailable", "the process running this room is unreachable, retry shortly") from exc

    async def _fetch(self, request: web.Request, address: str, kind: str) -> CachedAnswer:
        """A whole (bounded) answer, for the segment cache."""
        async with await self.open(request, address, kind) as upstream:
            data = bytearray()
            try:
                async for part in upstream.content.iter_chunked(CHUNK):
                    data += part
                    if len(data) > MAX_SEGMENT:
                        raise ApiError("unavailable", "segment larger than the relay takes")
            except (aiohttp.ClientError, TimeoutError) as exc:
                PROXY_FAILED.labels(kind).inc()
                raise ApiError("unavailable", "the process running this room stopped answering") from exc
            headers = _headers(upstream.headers)
            headers["X-LC-Proxied"] = upstream.headers.get("X-LC-Worker", "1")
            return CachedAnswer(upstream.status, headers, bytes(data))

    async def _copy(self, request: web.Request, upstream: aiohttp.ClientResponse) -> web.StreamResponse:
        resp = web.StreamResponse(status=upstream.status, reason=upstream.reason,
                                  headers=_headers(upstream.headers, keep_length=True))
        resp.headers["X-LC-Proxied"] = upstream.headers.get("X-LC-Worker", "1")
        try:
            await resp.prepare(request)
            async for data in upstream.content.iter_chunked(CHUNK):
                # write() waits while this viewer's socket is full: the upstream is then read no
                # faster, and the owner drops this connection like any viewer that falls behind
                await resp.write(data)
            await resp.write_eof()
        except (ConnectionError, RuntimeError, aiohttp.ClientError, TimeoutError):
            pass  # the viewer went (or the owner ended the stream): the upstream is closed by the caller
        return resp


MEDIA_RELAY = web.AppKey("media_relay", MediaRelay)


async def relayed(request: web.Request, room_id: str, kind: str,
                  body: bytes | None = None) -> web.StreamResponse | None:
    """The owner's answer when ``room_id`` is live in another process; None: answer here."""
    relay = request.app.get(MEDIA_RELAY)
    if relay is None:
        return None
    if _cacheable(request, kind) and (hit := relay.segments.peek(request.path)) is not None:
        PROXIED.labels(kind).inc()
        return web.Response(status=hit.status, body=hit.body, headers=hit.headers)
    owner = await relay.owner(request, room_id)
    return None if owner is None else await relay.forward(request, owner, kind, body)


async def relayed_flv(request: web.Request, room_id: str) -> LiveFlv | None:
    """This worker's hub for the FLV of ``room_id`` live in another process; None: not live elsewhere."""
    relay = request.app.get(MEDIA_RELAY)
    if relay is None:
        return None
    owner = await relay.owner(request, room_id)
    if owner is None:
        return None
    PROXIED.labels("flv").inc()
    return await relay.flv.hub(request, room_id, owner)
