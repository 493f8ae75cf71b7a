"""The rooms API (API.md, "Live rooms"): shapes, who may do what, bad input never a 500."""

from __future__ import annotations

from typing import Any

import pytest


async def test_host_creates_a_room_for_its_store(api, room: dict[str, Any]) -> None:
    assert room["status"] == "created"
    assert set(room) >= {"id", "stream_key", "whip_url", "status"}
    assert room["whip_url"] == str(api.client.make_url(f"/whip/{room['id']}"))
    assert len(room["stream_key"]) >= 32


async def test_get_shows_the_contract_and_the_key_only_to_managers(api, room: dict[str, Any]) -> None:
    public = await (await api.client.get(f"/api/v1/rooms/{room['id']}")).json()
    assert {k: public[k] for k in ("id", "store_id", "title", "status", "pinned", "viewers", "cover")} == {
        "id": room["id"], "store_id": "S1", "title": "Silk scarves", "status": "created",
        "pinned": None, "viewers": 0, "cover": None}
    assert set(public["playback"]) == {"hls", "flv", "whep", "replay"}
    assert "stream_key" not in public
    viewer = await (await api.client.get(f"/api/v1/rooms/{room['id']}", headers=api.viewer("v1"))).json()
    other_host = await (await api.client.get(f"/api/v1/rooms/{room['id']}", headers=api.host_s2)).json()
    assert "stream_key" not in viewer and "stream_key" not in other_host
    mine = await (await api.client.get(f"/api/v1/rooms/{room['id']}", headers=api.host_s1)).json()
    assert mine["stream_key"] == room["stream_key"]


async def test_public_list_never_shows_keys(api, room: dict[str, Any]) -> None:
    r = await api.client.get("/api/v1/rooms", headers=api.ops)
    rooms = await r.json()
    assert [x["id"] for x in rooms] == [room["id"]]
    assert "stream_key" not in rooms[0] and "whip_url" not in rooms[0]
    assert (await api.client.get("/api/v1/rooms?limit=0")).status == 422
    assert (await api.client.get("/api/v1/rooms?limit=abc")).status == 422
    assert (await api.client.get("/api/v1/rooms?bogus=1")).status == 422


async def test_access_rules(api, room: dict[str, Any]) -> None:
    body = {"store_id": "S1", "title": "t"}
    assert (await api.client.post("/api/v1/rooms", json=body)).status == 401
    assert (await api.client.post("/api/v1/rooms", json=body, headers={"Authorization": "Bearer x.y.z"})).status == 401
    assert (await api.client.post("/api/v1/rooms", json=body, headers=api.viewer("v"))).status == 403
    r = await api.client.post("/api/v1/rooms", json=body, headers=api.host_s2)
    assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"
    assert (await api.client.post("/api/v1/rooms", json=body, headers=api.ops)).status == 201
    end = f"/api/v1/rooms/{room['id']}/end"
    assert (await api.client.post(end)).status == 401
    assert (await api.client.post(end, headers=api.viewer("v"))).status == 403
    assert (await api.client.post(end, headers=api.host_s2)).status == 403
    r = await api.client.post(end, headers=api.host_s1)
    assert r.status == 200 and (await r.json())["status"] == "ended"
    whip = {"Authorization": f"Bearer {room['stream_key']}", "Content-Type": "application/sdp"}
    r = await api.client.post(f"/whip/{room['id']}", data="v=0\r\n", headers=whip)
    assert r.status == 409 and (await r.json())["error"]["code"] == "ended"


async def test_unknown_store_and_room(api, room: dict[str, Any]) -> None:
    r = await api.client.post("/api/v1/rooms", json={"store_id": "S9", "title": "t"}, headers=api.ops)
    assert r.status == 404
    assert (await api.client.get("/api/v1/rooms/r000000000000")).status == 404
    assert (await api.client.post("/api/v1/rooms/r000000000000/end", headers=api.ops)).status == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"store_id": "S1"}, "title"),
    ({"title": "t"}, "store_id"),
    ({"store_id": "S1", "title": ""}, "title"),
    ({"store_id": "S1", "title": "   "}, "title"),
    ({"store_id": "S1", "title": "x" * 101}, "title"),
    ({"store_id": "S1", "title": 5}, "title"),
    ({"store_id": "../S1", "title": "t"}, "store_id"),
    ({"store_id": "S1", "title": "t", "extra": 1}, "extra"),
    ([], "body"),
])
async def test_bad_bodies_are_422_naming_the_field(api, room: dict[str, Any], body: Any, field: str) -> None:
    r = await api.client.post("/api/v1/rooms", json=body, headers=api.ops)
    assert r.status == 422, await r.text()
    error = (await r.json())["error"]
    assert error["code"] == "invalid_request" and field in error["message"]


async def test_malformed_json_and_bad_ids(api, room: dict[str, Any]) -> None:
    r = await api.client.post("/api/v1/rooms", data=b"{nope", headers={**api.ops, "Content-Type": "application/json"})
    assert r.status == 422
    r = await api.client.get("/api/v1/rooms/" + "x" * 65)
    assert r.status == 422 and (await r.json())["error"]["field"] == "room_id"
    assert (await api.client.get("/api/v1/rooms/bad%20id")).status == 422
