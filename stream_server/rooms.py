"""Room records in Redis, shared by every process: the one owner of the ``lc:room:*`` keys.

Status changes are Lua scripts (``lua/*.lua``, each documents its KEYS/ARGV/returns) so that two
processes can never both make a room live. A live room carries a lease renewed by the process that
runs its publisher; a live room whose lease expired (that process died) reads as ended.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import orjson
import redis.asyncio as aioredis

from stream_server.errors import AlreadyLive, RoomEnded, RoomNotFound
from stream_server.types import Room, RoomStatus

__all__ = ["RoomStore", "room_key"]

ROOMS_KEY = "lc:rooms"
LIVE_KEY = "lc:rooms:live"


def room_key(room_id: str) -> str:
    """A room's hash; the hash tag keeps it and its lease on one Redis Cluster slot."""
    return f"lc:room:{{{room_id}}}"


def _lease_key(room_id: str) -> str:
    return f"lc:room:{{{room_id}}}:lease"


def _script(name: str) -> str:
    return resources.files("stream_server").joinpath(f"lua/{name}.lua").read_text()


def _float(raw: str | None) -> float | None:
    return float(raw) if raw else None


class RoomStore:
    def __init__(self, redis: aioredis.Redis, clock: Callable[[], float] = time.time, lease_ttl_s: float = 6.0) -> None:
        self._redis = redis
        self._clock = clock
        self._lease_ms = int(lease_ttl_s * 1000)
        self._claim = redis.register_script(_script("claim"))
        self._release = redis.register_script(_script("release"))
        self._finish = redis.register_script(_script("finish"))
        self._renew = redis.register_script(_script("renew"))

    async def create(self, store_id: str, title: str, forward: tuple[str, ...] = ()) -> Room:
        now = self._clock()
        while True:
            room_id = "r" + secrets.token_hex(6)
            if await self._redis.hsetnx(room_key(room_id), "id", room_id):
                break
        room = Room(id=room_id, store_id=store_id, title=title, status=RoomStatus.CREATED,
                    stream_key=secrets.token_urlsafe(24), created_at=now, forward=forward)
        # the room and the index live on different cluster slots: no MULTI (the room exists already)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(room_key(room_id), mapping={
                "store_id": store_id, "title": title, "status": room.status.value,
                "stream_key": room.stream_key, "created_at": repr(now), "viewers": 0,
                "forward": orjson.dumps(list(forward)).decode(),
            })
            pipe.zadd(ROOMS_KEY, {room_id: now})
            await pipe.execute()
        return room

    async def get(self, room_id: str) -> Room:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(room_key(room_id))
            pipe.exists(_lease_key(room_id))
            fields, leased = await pipe.execute()
        if not fields.get("status"):
            raise RoomNotFound(room_id)
        return self._room(room_id, fields, bool(leased))

    async def list_rooms(self, limit: int = 50) -> list[Room]:
        """Live rooms first (newest start first), then the others, newest first."""
        live = await self._redis.zrevrange(LIVE_KEY, 0, limit - 1)
        recent = await self._redis.zrevrange(ROOMS_KEY, 0, limit + len(live) - 1)
        ids = list(dict.fromkeys([*live, *recent]))
        async with self._redis.pipeline(transaction=False) as pipe:
            for room_id in ids:
                pipe.hgetall(room_key(room_id))
                pipe.exists(_lease_key(room_id))
            replies = await pipe.execute()
        rooms = [self._room(rid, replies[2 * i], bool(replies[2 * i + 1]))
                 for i, rid in enumerate(ids) if replies[2 * i].get("status")]
        rooms.sort(key=lambda r: (r.status is not RoomStatus.LIVE, -(r.started_at or 0.0), -r.created_at))
        return rooms[:limit]

    def _room(self, room_id: str, f: dict[str, str], leased: bool) -> Room:
        status = RoomStatus(f["status"])
        if status is RoomStatus.LIVE and not leased:
            status = RoomStatus.ENDED  # its process died; the next claim or end makes it final
        return Room(
            id=room_id, store_id=f.get("store_id", ""), title=f.get("title", ""), status=status,
            stream_key=f.get("stream_key", ""), created_at=float(f.get("created_at") or 0.0),
            started_at=_float(f.get("started_at")), ended_at=_float(f.get("ended_at")),
            pinned=orjson.loads(f["pinned"]) if f.get("pinned") else None,
            viewers=int(f.get("viewers") or 0), has_cover=f.get("cover") == "1", has_replay=f.get("replay") == "1",
            forward=tuple(orjson.loads(f["forward"])) if f.get("forward") else (),
            forward_state=tuple(orjson.loads(f["forward_state"])) if f.get("forward_state") else (),
        )

    def _keys(self, room_id: str) -> list[str]:
        """The script's keys: one slot. The live index is another slot, so it is updated after the
        script; a reader checks each room's own status, so a late index entry misleads nobody."""
        return [room_key(room_id), _lease_key(room_id)]

    async def claim(self, room_id: str, session_id: str, owner: str = "") -> None:
        """created -> live for ``session_id``; AlreadyLive / RoomEnded / RoomNotFound otherwise.
        ``owner``: where other processes reach this one for the room's media (relay.py)."""
        now = self._clock()
        result = await self._claim(keys=self._keys(room_id),
                                   args=[session_id, repr(now), self._lease_ms, room_id, owner])
        if result == "ok":
            await self._redis.zadd(LIVE_KEY, {room_id: now})
        elif result == "ended":
            await self._redis.zrem(LIVE_KEY, room_id)
        if result == "missing":
            raise RoomNotFound(room_id)
        if result == "live":
            raise AlreadyLive("this room already has a publisher")
        if result == "ended":
            raise RoomEnded("this room has ended; create a new one")

    async def owner(self, room_id: str) -> str | None:
        """The internal address of the process running the room's publisher, while its lease holds."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(room_key(room_id), ["status", "owner"])
            pipe.exists(_lease_key(room_id))
            (status, owner), leased = await pipe.execute()
        return owner if status == RoomStatus.LIVE.value and leased and owner else None

    async def release(self, room_id: str, session_id: str) -> bool:
        released = bool(await self._release(keys=self._keys(room_id), args=[session_id, room_id]))
        if released:
            await self._redis.zrem(LIVE_KEY, room_id)
        return released

    async def finish(self, room_id: str, session_id: str = "") -> str:
        """live|created -> ended. Returns the script's answer ("ok", "ended", "other")."""
        result = str(await self._finish(keys=self._keys(room_id), args=[session_id, repr(self._clock()), room_id]))
        if result in ("ok", "ended"):
            await self._redis.zrem(LIVE_KEY, room_id)
        if result == "missing":
            raise RoomNotFound(room_id)
        return result

    async def renew(self, room_id: str, session_id: str) -> bool:
        return bool(await self._renew(keys=self._keys(room_id), args=[session_id, self._lease_ms]))

    async def mark(self, room_id: str, **flags: str) -> None:
        """Record media facts (``cover="1"``, ``replay="1"``) on an existing room."""
        await self._redis.hset(room_key(room_id), mapping=flags)  # type: ignore[arg-type]

    async def set_forward_state(self, room_id: str, state: list[dict[str, object]]) -> None:
        """The running process' report of the room's forwards (read by any process' GET)."""
        await self._redis.hset(room_key(room_id), "forward_state", orjson.dumps(state).decode())

    async def set_pinned(self, room_id: str, pinned: Any | None) -> None:
        """For the realtime plane: what the room shows pinned (any JSON value; None unpins)."""
        await self.get(room_id)
        await self._redis.hset(room_key(room_id), "pinned", orjson.dumps(pinned).decode() if pinned is not None else "")

    async def set_viewers(self, room_id: str, count: int) -> None:
        """For the realtime plane: the room's current audience."""
        await self._redis.hset(room_key(room_id), "viewers", max(0, int(count)))
