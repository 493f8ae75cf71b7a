"""The media plane's owner: rooms in Redis, the live rooms this process runs, their lifecycles.

Started and stopped through the app's ``cleanup_ctx``; stopping ends this process' live rooms
cleanly (recordings finalised, every ffmpeg reaped). A lease per live room, renewed here, lets
other processes tell a live room from one whose process died; a room ended elsewhere (``POST
/rooms/{id}/end`` answered by another process) is noticed at the next renewal and stopped.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import prometheus_client
import redis.asyncio as aioredis
from aiohttp import web

from flash_sale.tasks import cancel_and_wait
from stream_server.config import StreamConfig
from stream_server.errors import AlreadyLive, BadStreamKey, NotLive, Overloaded, RoomEnded, SessionNotFound
from stream_server.live_hls import LiveHls
from stream_server.live_room import LiveRoom
from stream_server.metrics import StreamCollector
from stream_server.protocols.rtmp import RtmpIngest
from stream_server.protocols.whip import check_offer
from stream_server.rooms import RoomStore
from stream_server.rtmp_server import RtmpServer, rtmp_from_env
from stream_server.types import Room, RoomStatus

__all__ = ["STREAM_SERVER", "StoreDirectory", "StreamServer"]

log = logging.getLogger(__name__)


class StoreDirectory(Protocol):
    """What rooms need of the inventory: ``get_store`` raising a ``not_found`` error if absent."""

    async def get_store(self, store_id: str) -> object: ...


class StreamServer:
    def __init__(self, redis: aioredis.Redis, stores: StoreDirectory, config: StreamConfig,
                 registry: prometheus_client.CollectorRegistry | None = None,
                 on_status: Callable[[str, str], Awaitable[None]] | None = None) -> None:
        self.config = config
        self._on_status = on_status
        self.rooms = RoomStore(redis, lease_ttl_s=config.lease_period_s * 3)
        self._stores = stores
        self._live: dict[str, LiveRoom] = {}
        self._ending: dict[str, asyncio.Task[None]] = {}
        self._lease_task: asyncio.Task[None] | None = None
        self._registry = registry
        self._collector = StreamCollector(self)
        self.rtmp: RtmpServer | None = None

    async def start(self) -> None:
        await asyncio.to_thread(self.config.media_dir.mkdir, parents=True, exist_ok=True)
        self._lease_task = asyncio.create_task(self._renew_leases(), name="stream-leases")
        if self._registry is not None:
            self._registry.register(self._collector)
        self.rtmp = rtmp_from_env(self)
        if self.rtmp is not None:
            try:
                await self.rtmp.start()
            except OSError as exc:  # the port is taken (another process): HTTP and WHIP still serve
                log.error("RTMP ingest not listening on port %s: %s", self.rtmp.port, exc)
                self.rtmp = None

    async def stop(self) -> None:
        if self.rtmp is not None:
            await self.rtmp.stop()
        await cancel_and_wait(self._lease_task)
        await asyncio.gather(*(self._end(rid, "server stopping") for rid in list(self._live)),
                             *self._ending.values(), return_exceptions=True)
        if self._registry is not None:
            self._registry.unregister(self._collector)

    # --- rooms -------------------------------------------------------------------------------

    async def create_room(self, store_id: str, title: str, forward: tuple[str, ...] = ()) -> Room:
        """``forward``: external RTMP origins to push the room to (checked by the caller)."""
        await self._stores.get_store(store_id)
        return await self.rooms.create(store_id, title, forward)

    async def end_room(self, room_id: str) -> Room:
        await self.rooms.get(room_id)
        was_live_here = room_id in self._live
        if was_live_here:
            await self._end(room_id, "ended by the host")  # announces the end itself
        await self.rooms.finish(room_id)  # also when no media had flowed yet, or live elsewhere
        if not was_live_here:
            await self._announce(room_id, "ended")
        return await self.rooms.get(room_id)

    def live_rooms(self) -> dict[str, LiveRoom]:
        return dict(self._live)

    def hls(self, room_id: str) -> LiveHls | None:
        live = self._live.get(room_id)
        return live.hls if live is not None else None

    def end_flv_viewers(self) -> None:
        """End every HTTP-FLV response (for the app's ``on_shutdown``): aiohttp waits for running
        handlers before the cleanup that ends the rooms, so an endless stream would hold it up."""
        for live in self._live.values():
            live.flv.finish()

    def room_dir(self, room_id: str) -> Path:
        return self.config.media_dir / room_id

    # --- WHIP --------------------------------------------------------------------------------

    async def check_publisher(self, room_id: str, stream_key: str | None) -> Room:
        """The key first (401), then the room's state (409): before any body is read."""
        room = await self.rooms.get(room_id)
        if not stream_key or not hmac.compare_digest(stream_key.encode(), room.stream_key.encode()):
            raise BadStreamKey("wrong or missing stream key")
        if room.status is RoomStatus.ENDED:
            raise RoomEnded("this room has ended; create a new one")
        if room.status is RoomStatus.LIVE or room_id in self._live:
            raise AlreadyLive("this room already has a publisher")
        if len(self._live) >= self.config.max_live_rooms:
            raise Overloaded("this server runs as many live rooms as it takes")
        return room

    async def publish(self, room_id: str, stream_key: str | None, offer: str,
                      ingest: RtmpIngest | None = None) -> tuple[str, str]:
        """Returns (session id, SDP answer); the room is live once this returns. ``ingest``: an RTMP
        publisher instead of the WHIP offer."""
        room = await self.check_publisher(room_id, stream_key)
        if ingest is None:
            check_offer(offer)
        session_id = secrets.token_urlsafe(16)
        await self.rooms.claim(room_id, session_id, self.config.internal_url or "")
        live = LiveRoom(room_id, session_id, self.config, on_gone=lambda why: self._end_soon(room_id, why),
                        on_cover=lambda: self.rooms.mark(room_id, cover="1"), ingest=ingest, forward=room.forward)
        try:
            answer = await live.open(offer)
        except BaseException:
            await live.close()
            await self.rooms.release(room_id, session_id)
            raise
        self._live[room_id] = live
        await self._announce(room_id, "live")
        log.info("room %s live (%s)", room_id, ", ".join(f"{t.kind} {t.codec}" for t in live.ingest.tracks))
        return session_id, answer

    async def unpublish(self, room_id: str, session_id: str) -> None:
        live = self._live.get(room_id)
        if live is None or not hmac.compare_digest(live.session_id.encode(), session_id.encode()):
            raise SessionNotFound(session_id)
        await self._end(room_id, "publisher sent DELETE")

    def _end_soon(self, room_id: str, reason: str) -> None:
        if room_id not in self._ending:
            task = asyncio.create_task(self._end(room_id, reason))
            self._ending[room_id] = task
            task.add_done_callback(lambda _: self._ending.pop(room_id, None))

    async def _end(self, room_id: str, reason: str) -> None:
        live = self._live.pop(room_id, None)
        if live is None:
            return
        if live.stream is None or live.stream.last_packet_at is None:
            # nothing ever flowed (ICE failed, the publisher gave up): the room may be tried again
            log.info("room %s: publisher left before any media (%s)", room_id, reason)
            await live.close()
            await self.rooms.release(room_id, live.session_id)
            return
        log.info("room %s ends: %s", room_id, reason)
        try:
            await self.rooms.finish(room_id, live.session_id)
        finally:
            await live.close()
        if live.hls.replay is not None:
            await self.rooms.mark(room_id, replay="1")
        if live.forwarders:
            await self.rooms.set_forward_state(room_id, [f.state() for f in live.forwarders])
        await self._announce(room_id, "ended")

    async def _announce(self, room_id: str, status: str) -> None:
        """Tell the room's realtime plane (viewers' websockets) that the room went live or ended."""
        if self._on_status is not None:
            try:
                await self._on_status(room_id, status)
            except Exception as exc:  # noqa: BLE001 - a missed notice must not break the media plane
                log.warning("room %s: could not announce %s: %r", room_id, status, exc)

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.config.lease_period_s)
            for room_id, live in list(self._live.items()):
                try:
                    if not await self.rooms.renew(room_id, live.session_id):
                        self._end_soon(room_id, "ended elsewhere")
                    elif live.forwarders:  # for GET /rooms/{id} on any process
                        await self.rooms.set_forward_state(room_id, [f.state() for f in live.forwarders])
                except Exception:  # Redis down: keep streaming, retry next period
                    log.warning("lease renewal of room %s failed", room_id, exc_info=True)

    # --- WHEP --------------------------------------------------------------------------------

    async def play(self, room_id: str, offer: str) -> tuple[str, str]:
        live = self._live.get(room_id)
        if live is None:
            room = await self.rooms.get(room_id)
            raise (RoomEnded("this room has ended") if room.status is RoomStatus.ENDED
                   else NotLive("this room is not live (on this server)"))
        viewer_id, egress = await live.add_viewer()
        try:
            return viewer_id, await egress.answer(offer)
        except BaseException:
            await live.remove_viewer(viewer_id)
            raise

    async def stop_playing(self, room_id: str, viewer_id: str) -> None:
        live = self._live.get(room_id)
        if live is None or not await live.remove_viewer(viewer_id):
            raise SessionNotFound(viewer_id)


STREAM_SERVER = web.AppKey("stream_server", StreamServer)
