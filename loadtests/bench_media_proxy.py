"""What a viewer costs when the worker it reached does not run the room (``serve --workers 2``).

One ``livecommerce serve --workers 2`` on 127.0.0.1 (embedded Redis, SQLite); bench_flv's 1 Mbps
360p30 clip published with ``-c copy`` over WHIP lands on one worker (the owner). Each phase
keeps its connections pinned to one worker (keep-alive connections opened until the kernel hands
them to that worker), once to the owner (served locally) and once to the other worker (proxied
over the owner's private unix socket), in the same run:

1. HLS segment fetch: C connections fetch the newest segment back to back for a window:
   requests/s, p50 latency, and server CPU (all processes) per request.
2. HTTP-FLV: N viewers that read and discard: each viewer's marginal server CPU, and what it got.

    .venv/bin/python loadtests/bench_media_proxy.py [--connections 8] [--viewers 100] [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtests._server import ServerProcess  # noqa: E402
from loadtests.bench_flv import flv_viewers, make_clip, wait_flv  # noqa: E402
from loadtests.bench_media import Api, cpu_share  # noqa: E402
from stream_server.config import resolve_ffmpeg  # noqa: E402
from tests.stream_server.media import pinned_session  # noqa: E402

HOST = "127.0.0.1"


async def pinned_socket(port: int, worker: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw keep-alive connection answered by ``worker`` (its /healthz read off first)."""
    for _ in range(100):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        await reader.readexactly(length)
        if f"x-lc-worker: {worker}\r\n" in head:
            return reader, writer
        writer.close()
    raise RuntimeError(f"no connection reached worker {worker}")


async def owner_of(api: Api, room_id: str) -> str:
    while True:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
            async with s.get(f"{api.base}/live/{room_id}/index.m3u8") as r:
                await r.read()
                if r.status == 200 and "X-LC-Proxied" not in r.headers:
                    return r.headers["X-LC-Worker"]


async def phase_segments(api: Api, pid: int, room_id: str, worker: str, conns: int, seconds: float) -> dict[str, Any]:
    sessions = [await pinned_session(api.base, worker) for _ in range(conns)]
    name = (await api.segments(room_id))[-1]
    latencies: list[float] = []
    size = 0
    stop_at = time.monotonic() + seconds

    async def fetch(s: aiohttp.ClientSession) -> None:
        nonlocal size
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            async with s.get(f"{api.base}/live/{room_id}/{name}") as r:
                body = await r.read()
                assert r.status == 200 and r.headers["X-LC-Worker"] == worker, r.status
            latencies.append(time.perf_counter() - t)
            size = len(body)

    try:
        t0 = time.monotonic()
        load = asyncio.gather(*(fetch(s) for s in sessions))
        cpu = await cpu_share(pid, seconds - 0.5)
        await load
        elapsed = time.monotonic() - t0
    finally:
        await asyncio.gather(*(s.close() for s in sessions))
    rps = len(latencies) / elapsed
    return {"rps": rps, "p50_ms": statistics.median(latencies) * 1e3, "cpu_ms_per_req": cpu / rps * 1e3,
            "kb": size / 1024}


async def phase_flv(api: Api, pid: int, room_id: str, worker: str, n: int, seconds: float,
                    idle_cpu: float) -> dict[str, Any]:
    port = int(api.base.rsplit(":", 1)[1])
    socks = [await pinned_socket(port, worker) for _ in range(n)]

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return socks.pop()

    load = asyncio.ensure_future(flv_viewers(HOST, port, room_id, n, seconds + 2, connect))
    await asyncio.sleep(1.5)
    cpu = await cpu_share(pid, seconds)
    got = await load
    return {"per_viewer_cpu": (cpu - idle_cpu) / n, "mbps": statistics.median(got) * 8 / (seconds + 2) / 1e6}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    clip = Path(tempfile.mkdtemp(prefix="lc-clip-")) / "clip.mkv"
    make_clip(clip)
    out: dict[str, Any] = {}
    with ServerProcess(args=["--workers", "2"]) as server:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            api = Api(http, server.base)
            room = await api.room("proxy-bench")
            publisher = await asyncio.create_subprocess_exec(
                resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i",
                str(clip), "-c", "copy", "-f", "whip", "-authorization", room["stream_key"], room["whip_url"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                await wait_flv(api, room["id"])
                await api.wait_segments(room["id"], 3, 0.1)
                owner = await owner_of(api, room["id"])
                other = "1" if owner == "0" else "0"
                out["idle_cpu"] = await cpu_share(server.pid, args.seconds)
                for side, worker in (("local", owner), ("proxied", other)):
                    out[f"hls_{side}"] = await phase_segments(api, server.pid, room["id"], worker,
                                                              args.connections, args.seconds)
                for side, worker in (("local", owner), ("proxied", other)):
                    await asyncio.sleep(1)
                    out[f"flv_{side}"] = await phase_flv(api, server.pid, room["id"], worker, args.viewers,
                                                         args.seconds, out["idle_cpu"])
            finally:
                publisher.terminate()
                await publisher.wait()
    shutil.rmtree(clip.parent, ignore_errors=True)
    shutil.rmtree(server.data_dir, ignore_errors=True)
    return out


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    hl, hp, fl, fp = r["hls_local"], r["hls_proxied"], r["flv_local"], r["flv_proxied"]
    rows = [
        ("one 1 Mbps 360p30 room, no viewers: both workers, Redis, ffmpeg", f"{r['idle_cpu']:.1%} of a core", "", ""),
        (f"HLS segment ({hl['kb']:.0f} KiB), {args.connections} keep-alive connections: requests/s",
         f"{hl['rps']:,.0f}", f"{hp['rps']:,.0f}", f"{hp['rps'] / hl['rps']:.2f}x"),
        ("HLS segment: latency p50", f"{hl['p50_ms']:.2f} ms", f"{hp['p50_ms']:.2f} ms",
         f"{hp['p50_ms'] / hl['p50_ms']:.2f}x"),
        ("HLS segment: server CPU per request (all processes)", f"{hl['cpu_ms_per_req']:.2f} ms",
         f"{hp['cpu_ms_per_req']:.2f} ms", f"{hp['cpu_ms_per_req'] / hl['cpu_ms_per_req']:.2f}x"),
        (f"HTTP-FLV, {args.viewers} viewers: server CPU per viewer", f"{fl['per_viewer_cpu']:.3%} of a core",
         f"{fp['per_viewer_cpu']:.3%} of a core", f"{fp['per_viewer_cpu'] / fl['per_viewer_cpu']:.2f}x"),
        ("HTTP-FLV: throughput per viewer (median)", f"{fl['mbps']:.2f} Mbps", f"{fp['mbps']:.2f} Mbps", ""),
    ]
    lines = ["| measure | local (owner) | proxied (other worker) | proxied / local |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    print(report(asyncio.run(run(args)), args))


if __name__ == "__main__":
    main()
