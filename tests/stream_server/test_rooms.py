"""Room records in a real Redis: one publisher at a time, ended is final, a dead process' room ends."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from stream_server.errors import AlreadyLive, RoomEnded, RoomNotFound
from stream_server.rooms import RoomStore
from stream_server.types import RoomStatus


@pytest.fixture
def store(redis_client: aioredis.Redis) -> RoomStore:
    return RoomStore(redis_client, lease_ttl_s=0.3)


async def test_create_get_and_list_live_first(store: RoomStore) -> None:
    a = await store.create("S1", "first")
    b = await store.create("S1", "second")
    c = await store.create("S2", "third")
    assert (await store.get(a.id)).stream_key == a.stream_key and a.status is RoomStatus.CREATED
    await store.claim(a.id, "sess-a")
    assert [r.id for r in await store.list_rooms()] == [a.id, c.id, b.id]
    assert [r.id for r in await store.list_rooms(limit=2)] == [a.id, c.id]
    with pytest.raises(RoomNotFound):
        await store.get("nope")


async def test_one_publisher_at_a_time_and_ended_is_final(store: RoomStore) -> None:
    room = await store.create("S1", "t")
    results = await asyncio.gather(*(store.claim(room.id, f"s{i}") for i in range(5)), return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, AlreadyLive) for r in results if r is not None)
    winner = f"s{results.index(None)}"
    assert await store.finish(room.id, "someone-else") == "other"
    assert await store.renew(room.id, winner)
    assert await store.finish(room.id, winner) == "ok"
    assert not await store.renew(room.id, winner)
    assert (await store.get(room.id)).status is RoomStatus.ENDED
    with pytest.raises(RoomEnded):
        await store.claim(room.id, "again")


async def test_release_undoes_a_failed_negotiation(store: RoomStore) -> None:
    room = await store.create("S1", "t")
    await store.claim(room.id, "s1")
    assert await store.release(room.id, "s1")
    assert (await store.get(room.id)).status is RoomStatus.CREATED
    await store.claim(room.id, "s2")


async def test_live_room_whose_lease_expired_reads_and_becomes_ended(store: RoomStore) -> None:
    room = await store.create("S1", "t")
    await store.claim(room.id, "s1")
    assert (await store.get(room.id)).status is RoomStatus.LIVE
    await asyncio.sleep(0.4)
    assert (await store.get(room.id)).status is RoomStatus.ENDED
    with pytest.raises(RoomEnded):
        await store.claim(room.id, "s2")


async def test_pinned_and_viewers_for_the_realtime_plane(store: RoomStore) -> None:
    room = await store.create("S1", "t")
    await store.set_pinned(room.id, {"sku": "SKU1"})
    await store.set_viewers(room.id, 42)
    got = await store.get(room.id)
    assert got.pinned == {"sku": "SKU1"} and got.viewers == 42
    await store.set_pinned(room.id, None)
    assert (await store.get(room.id)).pinned is None
    with pytest.raises(RoomNotFound):
        await store.set_pinned("nope", {"sku": "x"})
