"""WHIP/WHEP endpoints: wrong keys, second publishers and bad offers are refused before any media
flows; sessions are resources (201 + Location, DELETE ends them)."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from stream_server import StreamServer
from tests.stream_server.media import AiortcPublisher, wait_until

SDP = {"Content-Type": "application/sdp"}


@pytest.fixture
async def offer() -> str:
    """A real publisher's offer (VP8/H.264 + Opus, with candidates)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="sendonly")
    pc.addTransceiver("audio", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def key(room: dict[str, Any], value: str | None = None) -> dict[str, str]:
    return {**SDP, "Authorization": f"Bearer {value if value is not None else room['stream_key']}"}


async def _error(resp) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return resp.status, (await resp.json())["error"]["code"]


async def test_wrong_or_missing_key_is_refused_before_anything(api, room, server: StreamServer, offer: str) -> None:
    url = f"/whip/{room['id']}"
    assert await _error(await api.client.post(url, data=offer, headers=SDP)) == (401, "unauthorized")
    assert await _error(await api.client.post(url, data=offer, headers=key(room, "nope"))) == (401, "unauthorized")
    assert await _error(await api.client.post(url, data=offer, headers=key(room, room["stream_key"][:-1]))) == (
        401, "unauthorized")
    basic = {**SDP, "Authorization": f"Basic {room['stream_key']}"}
    assert await _error(await api.client.post(url, data=offer, headers=basic)) == (401, "unauthorized")
    assert server.live_rooms() == {}
    assert (await (await api.client.get(f"/api/v1/rooms/{room['id']}")).json())["status"] == "created"


async def test_bad_requests(api, room, offer: str) -> None:
    url = f"/whip/{room['id']}"
    assert await _error(await api.client.post("/whip/r000000000000", data=offer, headers=key(room))) == (
        404, "not_found")
    assert (await api.client.post("/whip/bad%20id", data=offer, headers=key(room))).status == 422
    json_ct = {**key(room), "Content-Type": "application/json"}
    assert await _error(await api.client.post(url, data=offer, headers=json_ct)) == (415, "unsupported_media_type")
    big = offer + "a=x-padding:" + "x" * (64 * 1024) + "\r\n"
    assert await _error(await api.client.post(url, data=big, headers=key(room))) == (413, "payload_too_large")
    r = await api.client.post(url, data=b"\xff\xfe not sdp", headers=key(room))
    assert r.status == 422 and (await r.json())["error"]["field"] == "sdp"
    assert (await api.client.post(url, data="v=0\r\nm=video 9 garbage\r\n", headers=key(room))).status == 422
    pcmu_only = "\r\n".join(line for line in offer.split("\r\n") if not line.startswith("m=video")).replace(
        "opus/48000/2", "PCMU/8000")
    r = await api.client.post(url, data=pcmu_only, headers=key(room))
    assert r.status == 422 and "sdp" in (await r.json())["error"]["message"]
    assert (await api.client.patch(f"{url}/aaaaaaaaaaaaaaaa", data="a=candidate", headers=key(room))).status == 405
    assert (await api.client.delete(f"{url}/aaaaaaaaaaaaaaaa")).status == 404
    assert (await (await api.client.get(f"/api/v1/rooms/{room['id']}")).json())["status"] == "created"


async def test_one_publisher_per_room_and_delete_ends_it(api, room, server: StreamServer, http, offer: str) -> None:
    pub = await AiortcPublisher(room["whip_url"], room["stream_key"], "H264").start(http)
    try:
        assert pub.location is not None and pub.location.startswith(room["whip_url"] + "/")
        await wait_until(lambda: _has_packets(server, room["id"]), within=10)
        r = await api.client.post(f"/whip/{room['id']}", data=offer, headers=key(room))
        assert await _error(r) == (409, "invalid_state")
        assert list(server.live_rooms()) == [room["id"]]
        other = room["whip_url"] + "/" + "x" * 22
        assert (await http.delete(other)).status == 404
        r = await http.delete(pub.location)
        assert r.status == 200
        room_now = await (await api.client.get(f"/api/v1/rooms/{room['id']}")).json()
        assert room_now["status"] == "ended" and server.live_rooms() == {}
        assert (await http.delete(pub.location)).status == 404
    finally:
        await pub.close()


async def test_whep_needs_a_live_room_and_a_fitting_offer(api, room, http, offer: str) -> None:
    url = f"/whep/{room['id']}"
    assert await _error(await api.client.post(url, data=offer, headers=SDP)) == (409, "invalid_state")
    assert (await api.client.post("/whep/r000000000000", data=offer, headers=SDP)).status == 404
    pub = await AiortcPublisher(room["whip_url"], room["stream_key"], "VP8").start(http)
    try:
        await wait_until(lambda: _has_media(api, room["id"]), within=10)
        assert (await api.client.post(url, data=offer, headers={"Content-Type": "text/plain"})).status == 415
        no_vp8 = offer.replace("VP8/90000", "VP9/90000")
        r = await api.client.post(url, data=no_vp8, headers=SDP)
        assert r.status == 422 and "VP8" in (await r.json())["error"]["message"]
        assert (await api.client.delete(f"{url}/aaaaaaaaaaaaaaaa")).status == 404
    finally:
        await pub.close()


async def test_a_publisher_gone_before_any_media_leaves_the_room_usable(api, room, server: StreamServer, http,
                                                                      offer: str) -> None:
    r = await api.client.post(f"/whip/{room['id']}", data=offer, headers=key(room))
    assert r.status == 201 and r.headers["Content-Type"].startswith("application/sdp")
    assert (await (await api.client.get(f"/api/v1/rooms/{room['id']}")).json())["status"] == "live"
    assert (await http.delete(r.headers["Location"])).status == 200  # no ICE ever happened
    assert (await (await api.client.get(f"/api/v1/rooms/{room['id']}")).json())["status"] == "created"
    pub = await AiortcPublisher(room["whip_url"], room["stream_key"], "VP8").start(http)
    await wait_until(lambda: _has_packets(server, room["id"]), within=10)
    await pub.close()


async def _has_packets(server: StreamServer, room_id: str) -> bool:
    live = server.live_rooms().get(room_id)
    return live is not None and live.stream is not None and live.stream.last_packet_at is not None


async def _has_media(api, room_id: str) -> bool:  # type: ignore[no-untyped-def]
    return (await api.client.get(f"/live/{room_id}/index.m3u8")).status == 200
