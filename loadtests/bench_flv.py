"""Benchmark of HTTP-FLV playback, with HLS figures from the same run.

A real ``livecommerce serve`` (embedded Redis, SQLite) runs in its own process on 127.0.0.1.

1. Latency (640x360 @ 30, H.264 passed through; video only): the aiortc publisher of
   bench_media.py stamps each frame's index into the picture. An FLV viewer (PyAV on the
   ``.flv`` URL) reads the index back from each decoded frame: glass-to-glass = capture -> decoded.
   Join-to-first-frame: a new FLV viewer, from connecting to its first decoded frame (several
   joins). HLS edge delay and WHEP delay come from bench_media's latency phase, in the same run.
2. Viewers per core at 1 Mbps: a pre-encoded 640x360 @ 30 clip (1 Mbps H.264, Opus) published with
   ``-c copy``; N FLV viewers (raw sockets that read and discard) and then N HLS players (playlist
   every second, each new segment); the server's marginal CPU per viewer, and viewers per core.

    .venv/bin/python loadtests/bench_flv.py [--viewers 500] [--seconds 8] [--joins 5]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
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
    cpu_share,
    hls_players,
    phase_latency,
    read_index,
)
from stream_server.config import resolve_ffmpeg  # noqa: E402

_LIVE_OPTIONS = {"analyzeduration": "0", "probesize": "32768", "fflags": "nobuffer"}


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


def join_to_first_frame(url: str) -> float:
    t0 = time.monotonic()
    with av.open(url, options=_LIVE_OPTIONS, timeout=10) as c:
        for _ in c.decode(video=0):
            return time.monotonic() - t0
    raise RuntimeError("no frame")


def watch_flv(url: str, sent: dict[int, float], delays: list[float], stop: threading.Event) -> None:
    with av.open(url, options=_LIVE_OPTIONS, timeout=10) as c:
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
    firsts = []
    for i in range(joins):
        await asyncio.sleep(0.37 * (i % 3))  # joins at different points of the GOP
        firsts.append(await asyncio.to_thread(join_to_first_frame, url))
    delays: list[float] = []
    stop = threading.Event()
    watcher = asyncio.ensure_future(asyncio.to_thread(watch_flv, url, track.sent, delays, stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(watcher, 10)
    await pub.close()
    delays = delays[FPS:]  # the first second: the GOP burst, decoded faster than real time
    return {"first_flv_s": first_flv, "join_p50_s": statistics.median(firsts), "join_max_s": max(firsts),
            "g2g_p50_s": statistics.median(delays), "g2g_p95_s": statistics.quantiles(delays, n=20)[18]}


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
    finally:
        if publisher.returncode is None:
            publisher.terminate()
        await publisher.wait()
        shutil.rmtree(clip.parent, ignore_errors=True)
    return out


def _per_core(share: float) -> str:
    return f"{1 / share:,.0f}" if share > 0 else "n/a"


def report(lat: dict[str, float], flv: dict[str, float], big: dict[str, Any], args: argparse.Namespace) -> str:
    n = args.viewers
    per_flv = (big["flv_cpu"] - big["room_cpu"]) / n
    per_hls = (big["hls_cpu"] - big["room_cpu"]) / n
    rows = [
        ("publish -> FLV playable (from the WHIP POST)", f"{flv['first_flv_s']:.2f} s"),
        ("FLV join -> first decoded frame (p50 / max)", f"{flv['join_p50_s']:.2f} / {flv['join_max_s']:.2f} s"),
        ("FLV glass-to-glass: capture -> decoded (p50 / p95)", f"{flv['g2g_p50_s']:.2f} / {flv['g2g_p95_s']:.2f} s"),
        ("HLS live-edge delay: segment's first frame captured -> listed (median)", f"{lat['hls_edge_s']:.2f} s"),
        ("WHEP delay: capture -> decoded (p50)", f"{lat['whep_p50_s']:.3f} s"),
        ("one 1 Mbps 360p30 room, no viewers: server + its two ffmpeg", f"{big['room_cpu']:.1%} of a core"),
        (f"{n} FLV viewers: server total", f"{big['flv_cpu']:.1%} of a core"),
        ("each FLV viewer", f"+{per_flv:.3%} of a core -> {_per_core(per_flv)} per core"),
        ("FLV viewer throughput (median) / viewers under 0.5 Mbps",
         f"{big['flv_mbps_per_viewer']:.2f} Mbps / {big['flv_starved']}"),
        (f"{n} HLS players: server total", f"{big['hls_cpu']:.1%} of a core"),
        ("each HLS player", f"+{per_hls:.3%} of a core -> {_per_core(per_hls)} per core"),
    ]
    return "\n".join(["| measure | value |", "|---|---:|", *(f"| {k} | {v} |" for k, v in rows)])


async def run(args: argparse.Namespace) -> str:
    with ServerProcess(env={"LC_LOG_LEVEL": "INFO"}) as server:
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
