"""The room hub: owner of this process' websocket clients, bridged to every other process
through Redis pub/sub (one pattern subscription ``lc:rt:*``).

Everything a room says goes through Redis, including what this process says, so every
process delivers the same messages in the same order. Frequent figures are coalesced here:
likes at most ``likes_per_s`` a second, viewers once a second, stock twice a second.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis
from aiohttp import web

from flash_sale.tasks import cancel_and_wait, reraise_if_cancelling
from stream_server.realtime.connection import ClientConn, ws_frame
from stream_server.realtime.messages import now_ms, out
from stream_server.realtime.metrics import WS_CONNECTIONS, WS_DROPPED, WS_FANOUT_SECONDS, WS_FRAMES_OUT
from stream_server.realtime.moderation import ChatGuard, load_banned_words
from stream_server.realtime.presence import Presence
from stream_server.realtime.types import Limits, SaleFeed

__all__ = ["RoomHub", "REALTIME"]

log = logging.getLogger(__name__)

_PREFIX = "lc:rt:"


@dataclass
class _LocalRoom:
    clients: set[ClientConn] = field(default_factory=set)
    pin: bytes | None = None
    sale_id: str | None = None
    likes_pending: int = 0
    likes_total: int | None = None
    likes_sent: int | None = None
    viewers_sent: int | None = None
    stock_sent: int | None = None
    purchase_cursor: str | None = None


class RoomHub:
    def __init__(
        self,
        client: aioredis.Redis,
        feed: SaleFeed | None = None,
        limits: Limits | None = None,
        on_viewers: Callable[[str, int], Awaitable[None]] | None = None,
    ) -> None:
        self._client = client
        self._on_viewers = on_viewers
        self._feed = feed
        self.limits = limits or Limits()
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{id(self) & 0xFFFF:x}"
        self._presence = Presence(client, self.process_id)
        self.guard = ChatGuard(self.limits.chat_per_10s, load_banned_words())
        self._rooms: dict[str, _LocalRoom] = {}
        self._ids = itertools.count(1)
        self._tasks: list[asyncio.Task[None]] = []
        self.delivered = 0

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        ready = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._listen(ready), name="realtime-listener"),
            asyncio.create_task(self._tick(), name="realtime-ticker"),
        ]
        await asyncio.wait_for(ready.wait(), 10)

    async def stop(self) -> None:
        await cancel_and_wait(*self._tasks)
        self._tasks = []
        rooms = list(self._rooms)
        for room in self._rooms.values():
            for conn in list(room.clients):
                await conn.ws.close(code=1001, message=b"server shutting down")
        self._rooms.clear()
        try:
            await self._presence.withdraw(rooms)
        except Exception:  # noqa: BLE001 - Redis may already be gone at shutdown
            pass

    # -- membership ----------------------------------------------------------------------
    async def join(self, room_id: str, conn: ClientConn) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = _LocalRoom()
            async with self._client.pipeline(transaction=False) as pipe:  # two slots on a cluster: no MGET
                pipe.get(f"{_PREFIX}{room_id}:pin").get(f"{_PREFIX}{room_id}:likes")
                raw_pin, likes = await pipe.execute()
            if raw_pin:
                self._remember_pin(room, raw_pin.encode())
            room.likes_total = int(likes or 0)
        room.clients.add(conn)
        WS_CONNECTIONS.inc()
        conn.offer(out("likes", count=room.likes_total or 0))
        if room.pin is not None:
            conn.offer(room.pin)
        if room.stock_sent is not None and room.sale_id:
            conn.offer(out("stock", flash_sale_id=room.sale_id, remaining=room.stock_sent))

    async def leave(self, room_id: str, conn: ClientConn) -> None:
        room = self._rooms.get(room_id)
        if room is not None and conn in room.clients:
            room.clients.discard(conn)
            WS_CONNECTIONS.dec()

    def local_viewers(self, room_id: str) -> int:
        room = self._rooms.get(room_id)
        return len(room.clients) if room else 0

    async def viewers(self, room_id: str) -> int:
        return await self._presence.count(room_id)

    # -- what rooms say --------------------------------------------------------------------
    async def publish(self, room_id: str, kind: str, **fields: Any) -> None:
        await self._client.publish(f"{_PREFIX}{room_id}", out(kind, **fields))

    async def set_pin(self, room_id: str, product: dict[str, Any] | None, flash_sale: dict[str, Any] | None) -> None:
        frame = out("pin", product=product, flash_sale=flash_sale)
        await self._client.set(f"{_PREFIX}{room_id}:pin", frame)
        await self._client.publish(f"{_PREFIX}{room_id}", frame)

    async def chat(self, room_id: str, conn: ClientConn, text: str) -> str | None:
        """Publish a chat line; returns an error code instead when it may not be said."""
        if not self.guard.allow(conn.user_id):
            return "rate_limited"
        if await self._client.sismember(f"{_PREFIX}{room_id}:muted", conn.user_id):
            return "muted"
        message_id = f"{self.process_id.rsplit(':', 1)[-1]}-{next(self._ids)}"
        await self.publish(room_id, "chat", id=message_id, user=conn.user_id, nickname=conn.nickname,
                           text=self.guard.clean(text), ts=now_ms())
        return None

    def like(self, room_id: str, count: int) -> None:
        room = self._rooms.get(room_id)
        if room is not None:
            room.likes_pending += count

    async def mute(self, room_id: str, user_id: str, muted: bool) -> None:
        key = f"{_PREFIX}{room_id}:muted"
        await (self._client.sadd(key, user_id) if muted else self._client.srem(key, user_id))
        await self.publish(room_id, "moderation", action="mute" if muted else "unmute", user=user_id)

    async def delete_message(self, room_id: str, message_id: str) -> None:
        await self.publish(room_id, "delete", message_id=message_id)

    # -- delivery ------------------------------------------------------------------------
    def _deliver(self, room: _LocalRoom, payload: bytes) -> None:
        started = time.perf_counter()
        frame = ws_frame(payload)  # framed once for every viewer
        for conn in [c for c in room.clients if not c.offer_frame(frame)]:
            room.clients.discard(conn)
            WS_CONNECTIONS.dec()
            if conn.dropped != "gone":
                WS_DROPPED.inc()
        self.delivered += len(room.clients)
        WS_FRAMES_OUT.inc(len(room.clients))
        WS_FANOUT_SECONDS.observe(time.perf_counter() - started)

    def _remember_pin(self, room: _LocalRoom, frame: bytes) -> None:
        room.pin = frame
        sale = orjson.loads(frame).get("flash_sale") or {}
        sale_id = sale.get("id")
        if sale_id != room.sale_id:
            room.sale_id, room.stock_sent, room.purchase_cursor = sale_id, None, None

    async def _listen(self, ready: asyncio.Event) -> None:
        while True:
            try:
                async with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.psubscribe(f"{_PREFIX}*")
                    ready.set()
                    async for msg in pubsub.listen():
                        self._on_message(msg["channel"], msg["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - resubscribe after a Redis restart
                reraise_if_cancelling()
                log.warning("realtime listener lost Redis: %r", exc)
                await asyncio.sleep(0.5)

    def _on_message(self, channel: str, data: str) -> None:
        rest = channel[len(_PREFIX):]
        room_id, _, sub = rest.partition(":")
        room = self._rooms.get(room_id)
        if room is None:
            return
        if sub == "likes":
            room.likes_total = max(room.likes_total or 0, int(data))
            return
        frame = data.encode()
        if frame.startswith(b'{"type":"pin"'):
            self._remember_pin(room, frame)
        self._deliver(room, frame)

    async def _tick(self) -> None:
        step = 1.0 / self.limits.likes_per_s
        n = 0
        while True:
            await asyncio.sleep(step)
            n += 1
            try:
                await self._flush_likes()
                if n % max(1, round(self.limits.stock_interval_s / step)) == 0:
                    await self._poll_sales()
                if n % max(1, round(self.limits.viewers_interval_s / step)) == 0:
                    await self._report_viewers()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep ticking through a Redis restart
                reraise_if_cancelling()
                log.warning("realtime tick failed: %r", exc)

    async def _flush_likes(self) -> None:
        pending = {rid: r.likes_pending for rid, r in self._rooms.items() if r.likes_pending}
        for rid in pending:
            self._rooms[rid].likes_pending = 0
        for rid, count in pending.items():
            total = await self._client.incrby(f"{_PREFIX}{rid}:likes", count)
            await self._client.publish(f"{_PREFIX}{rid}:likes", total)
        for room in self._rooms.values():
            if room.likes_total is not None and room.likes_total != room.likes_sent and room.clients:
                room.likes_sent = room.likes_total
                self._deliver(room, out("likes", count=room.likes_total))

    async def _report_viewers(self) -> None:
        for rid in [rid for rid, r in self._rooms.items() if not r.clients and r.viewers_sent == 0]:
            del self._rooms[rid]  # nobody here any more, and the others were told
        totals = await self._presence.report({rid: len(r.clients) for rid, r in self._rooms.items()})
        for rid, total in totals.items():
            room = self._rooms[rid]
            if total != room.viewers_sent:
                room.viewers_sent = total if room.clients else 0
                self._deliver(room, out("viewers", count=total))
                if self._on_viewers is not None:
                    await self._on_viewers(rid, total)

    async def _poll_sales(self) -> None:
        if self._feed is None:
            return
        rooms = [r for r in self._rooms.values() if r.sale_id and r.clients]
        if not rooms:
            return
        remaining = await self._feed.remaining(sorted({r.sale_id for r in rooms if r.sale_id}))
        for room in rooms:
            left = remaining.get(room.sale_id or "")
            if left is not None and left != room.stock_sent:
                room.stock_sent = left
                self._deliver(room, out("stock", flash_sale_id=room.sale_id, remaining=left))
            bought, room.purchase_cursor = await self._feed.purchases(room.sale_id or "", room.purchase_cursor, 3)
            for nickname, sku in bought:
                self._deliver(room, out("purchase", nickname=nickname, sku=sku))


REALTIME = web.AppKey("realtime", RoomHub)
