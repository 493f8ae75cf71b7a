"""HTTP-FLV of a room live in another process: one upstream from the owner per room, fanned out here.

Proxying each viewer's bytes on its own cost ~10x the CPU of a local viewer (docs/BENCHMARKS.md,
"Live media across workers"). Instead the first viewer of a room on this worker opens one FLV
stream from the owner, whose tags feed a local ``LiveFlv`` hub: the same GOP cache, the same
shared chunks and the same rule for a viewer that falls behind (dropped) as on the owner. The
upstream ends when the room's stream ends there (viewers end, players reconnect) and is closed
once no viewer has watched it here for ``linger_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from livecommerce.web import ApiError
from stream_server._flv_tags import TagReader
from stream_server.live_flv import LiveFlv

if TYPE_CHECKING:
    from aiohttp import web

    from stream_server.relay import MediaRelay

__all__ = ["FlvEdges"]

log = logging.getLogger(__name__)


class _Edge:
    def __init__(self) -> None:
        self.hub = LiveFlv()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None


class FlvEdges:
    """The rooms this worker relays over HTTP-FLV; ``stop()`` closes every upstream."""

    def __init__(self, relay: MediaRelay, linger_s: float = 2.0) -> None:
        self._relay = relay
        self._linger = linger_s
        self._edges: dict[str, _Edge] = {}

    async def hub(self, request: web.Request, room_id: str, address: str) -> LiveFlv:
        """The local hub of ``room_id``, its upstream opened if needed (404 / 503 as the owner says)."""
        edge = self._edges.get(room_id)
        if edge is None or edge.hub.ended:
            edge = _Edge()
            self._edges[room_id] = edge
            edge.task = asyncio.create_task(self._pull(edge, request, room_id, address), name=f"flv-edge-{room_id}")
        await asyncio.shield(edge.opened)
        return edge.hub

    async def _pull(self, edge: _Edge, request: web.Request, room_id: str, address: str) -> None:
        try:
            upstream = await self._relay.open(request, address, "flv", stream=True)
        except BaseException as exc:
            self._forget(room_id, edge)
            if isinstance(exc, asyncio.CancelledError):
                edge.opened.cancel()
            else:
                edge.opened.set_exception(exc)
                edge.opened.exception()  # retrieved here: a lone viewer's await re-raises it
            raise
        try:
            if upstream.status != 200:
                edge.opened.set_exception(ApiError("not_found", "no such media") if upstream.status == 404 else
                                          ApiError("unavailable", "the process running this room did not answer"))
                return
            edge.opened.set_result(None)
            idle = asyncio.create_task(self._close_when_unwatched(edge, upstream))
            reader = TagReader()
            try:
                async for data in upstream.content.iter_any():
                    tags = reader.feed(data)
                    if edge.hub.header is None and reader.header is not None:
                        edge.hub.start_run(reader.header)
                    edge.hub.add_tags(tags)
            finally:
                idle.cancel()
        except Exception as exc:  # noqa: BLE001 - cut, closed, not FLV: the viewers end and reconnect
            log.info("room %s: FLV from its owner ended: %r", room_id, exc)
        finally:
            upstream.close()
            edge.hub.finish()
            self._forget(room_id, edge)

    async def _close_when_unwatched(self, edge: _Edge, upstream: object) -> None:
        unwatched = 0.0
        while True:
            await asyncio.sleep(self._linger / 4)
            unwatched = 0.0 if edge.hub.viewers else unwatched + self._linger / 4
            if unwatched >= self._linger:
                upstream.close()  # type: ignore[attr-defined]  # ends the pull loop
                return

    def _forget(self, room_id: str, edge: _Edge) -> None:
        if self._edges.get(room_id) is edge:
            del self._edges[room_id]

    def finish(self) -> None:
        """Shutdown: every relayed FLV viewer's response ends."""
        for edge in self._edges.values():
            edge.hub.finish()

    async def stop(self) -> None:
        tasks = [e.task for e in self._edges.values() if e.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._edges.clear()
