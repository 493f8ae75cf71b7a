"""Benchmark of HTTP-FLV playback, with HLS figures from the same run.

A real ``livecommerce serve`` (embedded Redis, SQLite) runs in its own process on 127.0.0.1.

1. Latency (640x360 @ 30, H.264 passed through; video only): the aiortc publisher of
   bench_media.py stamps each frame's index into the picture. An FLV viewer (PyAV on the
   ``.flv`` URL) reads the index back from each decoded frame: glass-to-glass = capture -> decoded.
   Join-to-first-frame: a new FLV viewer, from connecting to its first decoded frame (several
   joins). The same two for HLS on the same room right after (ffmpeg's HLS demuxer from the newest
   segment). HLS edge delay and WHEP delay come from bench_media's latency phase, in the same run.
2. Viewers per core at 1 Mbps: a pre-encoded 640x360 @ 30 clip (1 Mbps H.264, Opus) published with
   ``-c copy``; N FLV viewers (raw sockets that read and discard) and then N HLS players (playlist
   every second, each new segment); the server's marginal CPU per viewer, and viewers per core.
3. Forwarding: the same clip in a room forwarded to a local RTMP origin (ffmpeg ``-listen``): the
   time until the forward reports up, and the CPU of its ffmpeg.

    .venv/bin/python loadtests/bench_flv.py [--viewers 500] [--seconds 8] [--joins 5]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import av
from aiortc import RTCRtpSender

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtests._server import ServerProcess  # noqa: E402
from loadtests.bench_media import (  # noqa: E402
    FPS,
    Api,
    StampedTrack,
    _exchange,
    _pc,
    _tree,
    cpu_share,
    hls_players,
    phase_latency,
    read_index,
)
from stream_server.config import resolve_ffmpeg  # noqa: E402

#: a player's probing: 0.1 s at most. No "fflags nobuffer": it drops the packets read while probing,
#: the cached keyframe among them, and the first frame then waits for the next GOP
_LIVE_OPTIONS = {"analyzeduration": "100000", "probesize": "32768"}
#: ffmpeg's HLS demuxer as the most eager HLS player: it starts at the newest listed segment (hls.js
#: starts 3 segments back by default, ~2 s more)
_HLS_OPTIONS = {"live_start_index": "-1", **_LIVE_OPTIONS}


async def wait_flv(api: Api, room_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        async with api.http.get(f"{api.base}/api/v1/rooms/{room_id}") as r:
            url = (await r.json())["playback"]["flv"]
        if url:
            async with api.http.get(url) as r:
                if r.status == 200:
                    return str(url)
        await asyncio.sleep(0.1)
    raise RuntimeError(f"room {room_id}: no FLV")


def join_to_first_frame(url: str, options: dict[str, str] = _LIVE_OPTIONS) -> float:
    t0 = time.monotonic()
    with av.open(url, options=options, timeout=10) as c:
        for _ in c.decode(video=0):
            return time.monotonic() - t0
    raise RuntimeError("no frame")


def watch(url: str, sent: dict[int, float], delays: list[float], stop: threading.Event,
          options: dict[str, str] = _LIVE_OPTIONS) -> None:
    """Decode the live URL (FLV or HLS) as it comes: capture -> decoded for every stamped frame."""
    with av.open(url, options=options, timeout=10) as c:
        for frame in c.decode(video=0):
            at = sent.get(read_index(frame))
            if at is not None:
                delays.append(time.monotonic() - at)
            if stop.is_set():
                return


async def phase_flv_latency(api: Api, seconds: float, joins: int) -> dict[str, float]:
    room = await api.room("flv-latency")
    track = StampedTrack()
    pub = _pc()
    sender = pub.addTrack(track)
    caps = RTCRtpSender.getCapabilities("video").codecs
    next(t for t in pub.getTransceivers() if t.sender is sender).setCodecPreferences(
        [c for c in caps if c.name == "H264"])
    t0 = time.monotonic()
    await _exchange(api.http, pub, room["whip_url"], {"Authorization": f"Bearer {room['stream_key']}"})
    url = await wait_flv(api, room["id"])
    first_flv = time.monotonic() - t0
    await asyncio.sleep(1.5)
    out: dict[str, float] = {"first_flv_s": first_flv}
    hls_url = url.removesuffix(".flv") + "/index.m3u8"
    await api.wait_segments(room["id"], 3, 0.1)
    for name, live_url, options in (("flv", url, _LIVE_OPTIONS), ("hls", hls_url, _HLS_OPTIONS)):
        firsts = []
        for i in range(joins):
            await asyncio.sleep(0.37 * (i % 3))  # joins at different points of the GOP
            firsts.append(await asyncio.to_thread(join_to_first_frame, live_url, options))
        delays: list[float] = []
        stop = threading.Event()
        watcher = asyncio.ensure_future(asyncio.to_thread(watch, live_url, track.sent, delays, stop, options))
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.wait_for(watcher, 15)
        delays = delays[FPS * 2:]  # the first seconds: the cached burst, decoded faster than real time
        out.update({f"{name}_join_p50_s": statistics.median(firsts), f"{name}_join_max_s": max(firsts),
                    f"{name}_g2g_p50_s": statistics.median(delays),
                    f"{name}_g2g_p95_s": statistics.quantiles(delays, n=20)[18]})
    await pub.close()
    return out


def make_clip(path: Path) -> None:
    subprocess.run([resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=f=440:r=48000",
                    "-t", "10", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "1M", "-maxrate", "1M",
                    "-bufsize", "1M", "-g", "30", "-bf", "0", "-pix_fmt", "yuv420p",
                    "-c:a", "libopus", "-b:a", "64k", "-ac", "2", str(path)], check=True, timeout=120)


Connect = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def flv_viewers(host: str, port: int, room_id: str, n: int, seconds: float,
                      connect: Connect | None = None) -> list[int]:
    """N viewers that read and discard; returns the bytes each got. ``connect``: how a viewer's
    connection is made (default: a new one to host:port)."""
    got = [0] * n
    stop_at = time.monotonic() + seconds

    async def viewer(i: int) -> None:
        await asyncio.sleep(i / n)
        reader, writer = await (connect() if connect else asyncio.open_connection(host, port))
        writer.write(f"GET /live/{room_id}.flv HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        try:
            while time.monotonic() < stop_at:
                data = await reader.read(262144)
                if not data:
                    return
                got[i] += len(data)
        finally:
            writer.close()

    await asyncio.gather(*(viewer(i) for i in range(n)), return_exceptions=True)
    return got


async def phase_viewers(api: Api, server_pid: int, args: argparse.Namespace) -> dict[str, Any]:
    clip = Path(tempfile.mkdtemp(prefix="lc-clip-")) / "clip.mkv"
    make_clip(clip)
    room = await api.room("flv-1mbps")
    publisher = await asyncio.create_subprocess_exec(
        resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip),
        "-c", "copy", "-f", "whip", "-authorization", room["stream_key"], room["whip_url"],
        stdout=subprocess.DEVNULL, stderr=(clip.parent / "publisher.log").open("wb"))
    out: dict[str, Any] = {}
    n, secs = args.viewers, args.seconds
    try:
        await wait_flv(api, room["id"])
        await api.wait_segments(room["id"], 3, 0.1)
        out["room_cpu"] = await cpu_share(server_pid, secs)
        me = time.process_time()
        host, port = "127.0.0.1", int(api.base.rsplit(":", 1)[1])
        flv_load = asyncio.ensure_future(flv_viewers(host, port, room["id"], n, secs + 3))
        await asyncio.sleep(2)
        out["flv_cpu"] = await cpu_share(server_pid, secs)
        got = await flv_load
        out["flv_client_cpu"] = (time.process_time() - me) / (secs + 3)
        out["flv_mbps_per_viewer"] = statistics.median(got) * 8 / (secs + 2) / 1e6
        out["flv_starved"] = sum(1 for g in got if g * 8 / (secs + 2) < 0.5e6)
        await asyncio.sleep(2)
        hls_load = asyncio.ensure_future(hls_players(api.http, api.base, room["id"], n, secs + 3))
        await asyncio.sleep(2)
        out["hls_cpu"] = await cpu_share(server_pid, secs)
        out["hls_stats"] = await hls_load
        if publisher.returncode is None:
            publisher.terminate()
        await publisher.wait()
        out.update(await phase_forward(api, server_pid, clip, secs))
    finally:
        if publisher.returncode is None:
            publisher.terminate()
        await publisher.wait()
        shutil.rmtree(clip.parent, ignore_errors=True)
    return out


async def phase_forward(api: Api, server_pid: int, clip: Path, secs: float) -> dict[str, float]:
    """One room forwarded to a local RTMP origin (ffmpeg -listen, discarding): the time until the
    forward is up, and the CPU of its ffmpeg (-c copy)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = f"rtmp://127.0.0.1:{port}/live/bench"
    origin = await asyncio.create_subprocess_exec(
        resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-listen", "1", "-f", "flv", "-i", target,
        "-c", "copy", "-f", "null", "-", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await api.room("flv-forward-store")  # the store exists
    async with api.http.post(f"{api.base}/api/v1/rooms", headers=api.ops,
                             json={"store_id": "S1", "title": "forward", "forward": [target]}) as r:
        room = await r.json()
    publisher = await asyncio.create_subprocess_exec(
        resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip),
        "-c", "copy", "-f", "whip", "-authorization", room["stream_key"], room["whip_url"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        await wait_flv(api, room["id"])
        while True:
            async with api.http.get(f"{api.base}/api/v1/rooms/{room['id']}", headers=api.ops) as r:
                if (await r.json())["forward"][0]["up"]:
                    break
            if time.monotonic() - t0 > 30:
                raise RuntimeError("the forward did not come up")
            await asyncio.sleep(0.1)
        up_s = time.monotonic() - t0
        forwarders = [p for p in _tree(server_pid) if b"-progress" in _cmdline(p)]
        return {"forward_up_s": up_s, "forward_cpu": await cpu_share(forwarders[0], secs)}
    finally:
        for proc in (publisher, origin):
            if proc.returncode is None:
                proc.terminate()
            await proc.wait()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _per_core(share: float) -> str:
    return f"{1 / share:,.0f}" if share > 0 else "n/a"


def report(lat: dict[str, float], flv: dict[str, float], big: dict[str, Any], args: argparse.Namespace) -> str:
    n = args.viewers
    per_flv = (big["flv_cpu"] - big["room_cpu"]) / n
    per_hls = (big["hls_cpu"] - big["room_cpu"]) / n
    rows = [
        ("publish -> FLV playable (from the WHIP POST)", f"{flv['first_flv_s']:.2f} s"),
        ("FLV join -> first decoded frame (p50 / max)", f"{flv['flv_join_p50_s']:.2f} / {flv['flv_join_max_s']:.2f} s"),
        ("FLV glass-to-glass: capture -> decoded (p50 / p95)",
         f"{flv['flv_g2g_p50_s']:.2f} / {flv['flv_g2g_p95_s']:.2f} s"),
        ("HLS join -> first decoded frame, same room (p50 / max)",
         f"{flv['hls_join_p50_s']:.2f} / {flv['hls_join_max_s']:.2f} s"),
        ("HLS glass-to-glass, same room, newest segment first (p50 / p95)",
         f"{flv['hls_g2g_p50_s']:.2f} / {flv['hls_g2g_p95_s']:.2f} s"),
        ("HLS live-edge delay: segment's first frame captured -> listed (median)", f"{lat['hls_edge_s']:.2f} s"),
        ("WHEP delay: capture -> decoded (p50)", f"{lat['whep_p50_s']:.3f} s"),
        ("one 1 Mbps 360p30 room, no viewers: server + its two ffmpeg", f"{big['room_cpu']:.1%} of a core"),
        (f"{n} FLV viewers: server total", f"{big['flv_cpu']:.1%} of a core"),
        ("each FLV viewer", f"+{per_flv:.3%} of a core -> {_per_core(per_flv)} per core"),
        ("FLV viewer throughput (median) / viewers under 0.5 Mbps",
         f"{big['flv_mbps_per_viewer']:.2f} Mbps / {big['flv_starved']}"),
        (f"{n} HLS players: server total", f"{big['hls_cpu']:.1%} of a core"),
        ("each HLS player", f"+{per_hls:.3%} of a core -> {_per_core(per_hls)} per core"),
        ("forward to an RTMP origin: publish -> forward up (GET /rooms/{id}, lease period 2 s)",
         f"{big['forward_up_s']:.2f} s"),
        ("forward to an RTMP origin: its ffmpeg (-c copy), 1 Mbps room", f"{big['forward_cpu']:.1%} of a core"),
    ]
    return "\n".join(["| measure | value |", "|---|---:|", *(f"| {k} | {v} |" for k, v in rows)])


async def run(args: argparse.Namespace) -> str:
    with ServerProcess(env={"LC_LOG_LEVEL": "INFO", "LC_FORWARD_HOSTS": "127.0.0.1"}) as server:
        print(f"server log: {server.data_dir / 'server.log'}", file=sys.stderr)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            api = Api(http, server.base)
            flv = await phase_flv_latency(api, args.seconds, args.joins)
            lat = await phase_latency(api, args.seconds)
            big = await phase_viewers(api, server.pid, args)
    shutil.rmtree(server.data_dir, ignore_errors=True)
    return report(lat, flv, big, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each measuring window")
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--joins", type=int, default=5)
    print(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
