"""Forwarding a live room to an external RTMP origin: target checks at the edge, then a real origin
(ffmpeg ``-listen 1 -f flv`` on a loopback port, writing to a file) receiving H.264 + AAC, the
forward reconnecting after the origin drops and comes back, and its ffmpeg reaped when the room ends."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import pytest

from stream_server import StreamServer
from stream_server.config import StreamConfig, resolve_ffmpeg
from stream_server.forward_targets import check_target, expand_template, redact
from tests.stream_server.media import FfmpegPublisher, wait_until
from tests.stream_server.test_hls import _gone

#: on uvloop, as ``livecommerce serve`` runs (its pipe transports are not asyncio's classes); see conftest
USE_UVLOOP = True


@pytest.mark.parametrize("url, reason", [
    ("http://cdn.example.com/live/x", "rtmp"),
    ("rtmp:///live/x", "host"),
    ("rtmp://cdn.example.com", "application path"),
    ("rtmp://cdn.example.com:99999/live/x", "port"),
    ("rtmp://cdn.example.com/live/x y", "printable"),
    ("rtmp://cdn.example.com/live/x\r\nFLUSHALL", "printable"),
    ("rtmp://127.0.0.1:6379/live/x", "this machine"),
    ("rtmp://localhost/live/x", "this machine"),
    ("rtmp://[::1]/live/x", "this machine"),
    ("rtmp://169.254.169.254/latest/meta-data", "link-local"),
    ("rtmp://cdn.example.com/live/" + "x" * 600, "characters"),
])
def test_bad_targets_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_target(url)


def test_good_targets_allowlist_redaction_and_template() -> None:
    assert check_target("rtmp://srs-origin:1935/live/r1") == "rtmp://srs-origin:1935/live/r1"
    assert check_target("rtmps://push.cdn.example.com/live/r1?txSecret=abc&txTime=1")
    assert check_target("rtmp://127.0.0.1:1936/live/r1", "127.0.0.1")  # listed: allowed
    assert check_target("rtmp://a.edge.cdn.example.com/live/r1", "cdn.example.com, other.org")
    with pytest.raises(ValueError, match="allowed forwarding hosts"):
        check_target("rtmp://evil.example.net/live/r1", "cdn.example.com")
    with pytest.raises(ValueError, match="allowed forwarding hosts"):
        check_target("rtmp://notcdn.example.com/live/r1", "cdn.example.com")
    assert redact("rtmps://user:pw@push.cdn.example.com:443/live/r1?txSecret=abc#x") == \
        "rtmps://push.cdn.example.com:443/live/r1"
    assert expand_template("rtmp://origin/live/{room_id}", "r42") == "rtmp://origin/live/r42"
    assert expand_template("rtmp://origin/live/{0.__class__}", "r42") == "rtmp://origin/live/{0.__class__}"


def test_the_configured_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_FORWARD_URL_TEMPLATE", "rtmp://localhost:1936/live/{room_id}")  # trusted: any host
    config = StreamConfig.from_env(tmp_path)
    assert config.forward_targets("r1", ("rtmp://cdn.example.com/live/r1", "rtmp://localhost:1936/live/r1")) == [
        "rtmp://localhost:1936/live/r1", "rtmp://cdn.example.com/live/r1"]
    monkeypatch.setenv("LC_FORWARD_URL_TEMPLATE", "http://origin/live/{room_id}")
    with pytest.raises(ValueError, match="LC_FORWARD_URL_TEMPLATE"):
        StreamConfig.from_env(tmp_path)


async def test_bad_forward_bodies_are_422_and_create_nothing(api, room: dict[str, Any]) -> None:
    def body(forward: object) -> dict[str, object]:
        return {"store_id": "S1", "title": "Fwd", "forward": forward}
    bad = [
        body(["http://cdn.example.com/live/x"]), body("rtmp://cdn.example.com/live/x"), body([1]),
        body(["rtmp://cdn.example.com/live/x"] * 2), body([f"rtmp://cdn{i}.example.com/live/x" for i in range(5)]),
        body(["rtmp://127.0.0.1/live/x"]), body(["rtmp://cdn.example.com/" + "x" * 600]), body([""]),
    ]
    for b in bad:
        r = await api.client.post("/api/v1/rooms", json=b, headers=api.host_s1)
        assert r.status == 422, (b, await r.text())
        assert (await r.json())["error"]["code"] == "invalid_request"
    rooms = await (await api.client.get("/api/v1/rooms")).json()
    assert [x["id"] for x in rooms] == [room["id"]]  # nothing was created
    r = await api.client.post("/api/v1/rooms", json=body(["rtmp://cdn.example.com/live/x"]), headers=api.viewer("v"))
    assert r.status in (401, 403)

    r = await api.client.post("/api/v1/rooms", headers=api.host_s1, json=body(
        ["rtmp://cdn.example.com/live/x?txSecret=s3cr3t"]))
    assert r.status == 201, await r.text()
    created = await r.json()
    assert created["forward"] == [{"target": "rtmp://cdn.example.com/live/x", "up": False, "restarts": 0}]
    public = await (await api.client.get(f"/api/v1/rooms/{created['id']}")).text()
    other = await (await api.client.get(f"/api/v1/rooms/{created['id']}", headers=api.host_s2)).text()
    assert "forward" not in public and "forward" not in other and "s3cr3t" not in public + other
    mine = await (await api.client.get(f"/api/v1/rooms/{created['id']}", headers=api.host_s1)).text()
    assert '"forward"' in mine and "s3cr3t" not in mine  # credentials are never shown, only used


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _origin(port: int, out: Path) -> asyncio.subprocess.Process:
    """A local RTMP origin: accepts one publisher, writes what it gets to ``out`` as it is."""
    return await asyncio.create_subprocess_exec(
        resolve_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-listen", "1",
        "-f", "flv", "-i", f"rtmp://127.0.0.1:{port}/live/origin", "-c", "copy", "-f", "flv", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


def _probe(path: Path) -> dict[str, Any]:
    """The ffprobe check (PyAV: imageio-ffmpeg ships no ffprobe): codecs and decoded frames per kind."""
    got: dict[str, Any] = {"codecs": {}, "video": 0, "audio": 0}
    with av.open(str(path)) as container:
        for stream in container.streams:
            got["codecs"][stream.type] = stream.codec_context.name
        for frame in container.decode(*container.streams):
            got["video" if isinstance(frame, av.VideoFrame) else "audio"] += 1
    return got


async def test_a_live_room_reaches_the_origin_and_reconnects_after_it_drops(
        api, room: dict[str, Any], server: StreamServer, tmp_path: Path) -> None:
    server.config = replace(server.config, forward_hosts="127.0.0.1")
    port = _free_port()
    target = f"rtmp://127.0.0.1:{port}/live/{room['id']}?token=t0ps3cret"
    r = await api.client.post("/api/v1/rooms", json={"store_id": "S1", "title": "Fwd", "forward": [target]},
                              headers=api.host_s1)
    assert r.status == 201, await r.text()
    rid, key = (await r.json())["id"], (await r.json())["stream_key"]
    label = f"rtmp://127.0.0.1:{port}/live/{room['id']}"
    first, second = tmp_path / "first.flv", tmp_path / "second.flv"
    origin = await _origin(port, first)
    pub = await FfmpegPublisher(str(api.client.make_url(f"/whip/{rid}")), key, seconds=40).start()
    origins = [origin]
    try:
        async def metric(value: str) -> bool:
            text = await (await api.client.get("/metrics")).text()
            return f'lc_stream_forward_up{{room="{rid}",target="{label}"}} {value}' in text

        await wait_until(lambda: metric("1.0"), within=15)
        forwarder = server.live_rooms()[rid].forwarders[0]
        assert "t0ps3cret" not in await (await api.client.get("/metrics")).text()
        await asyncio.sleep(2)  # a couple of GOPs reach the origin
        origin.terminate()  # the origin drops
        await asyncio.wait_for(origin.wait(), 10)
        await wait_until(lambda: metric("0.0"), within=10)
        await wait_until(lambda: asyncio.sleep(0, forwarder.restarts >= 1), within=10)
        got = await asyncio.to_thread(_probe, first)
        assert got["codecs"] == {"video": "h264", "audio": "aac"} and got["video"] > 15 and got["audio"] > 20, got

        origin = await _origin(port, second)  # ... and comes back on the same address
        origins.append(origin)
        await wait_until(lambda: metric("1.0"), within=20)
        state = await (await api.client.get(f"/api/v1/rooms/{rid}", headers=api.host_s1)).json()

        async def reported() -> bool:  # the owner writes the health at lease renewal, for every process
            body = await (await api.client.get(f"/api/v1/rooms/{rid}", headers=api.host_s1)).json()
            return body["forward"][0]["up"] is True and body["forward"][0]["restarts"] >= 1
        await wait_until(reported, within=10)
        assert state["forward"][0]["target"] == label
        pid = forwarder.pid
        assert pid is not None
        await asyncio.sleep(1.5)
        end = await api.client.post(f"/api/v1/rooms/{rid}/end", headers=api.host_s1)
        assert end.status == 200
        assert _gone(pid) and forwarder.pid is None  # stopped with the room and reaped
        await asyncio.wait_for(origin.wait(), 10)  # the forward ended its stream: the origin finishes
        got = await asyncio.to_thread(_probe, second)
        assert got["codecs"] == {"video": "h264", "audio": "aac"} and got["video"] > 15, got
    finally:
        await pub.kill()
        for proc in origins:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
