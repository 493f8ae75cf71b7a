"""Benchmark of the media plane, with nginx serving the same HLS files as the baseline, in one run.

A real ``livecommerce serve`` (embedded Redis, SQLite) runs in its own process on 127.0.0.1.

1. Latency (640x360 @ 30, H.264 passed through): an aiortc publisher in this process stamps each
   frame's index into the picture; an HLS poller and a WHEP viewer read the index back from what
   they receive. Publish -> first segment, HLS edge delay (a segment's first frame, from capture
   to the segment being listed), WHEP delay (capture to decoded frame at the viewer).
2. CPU of one 720p30 room: a pre-encoded 720p30 H.264 + Opus clip (2 Mbps) published by ffmpeg
   with ``-c copy`` (the publisher costs almost nothing); CPU of the server and its ffmpeg.
3. Marginal CPU per WHEP viewer: N aiortc viewers that count packets without decoding.
4. Marginal CPU per HLS viewer: N players polling the playlist every second and fetching each new
   segment, against the server (live window from memory), then against nginx (``nginx-light``
   from Debian, one worker) serving the same directory; then ``wrk`` at saturation on one segment.

    .venv/bin/python loadtests/bench_media.py [--hls-players 300] [--whep-viewers 8] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import VideoStreamTrack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livecommerce.web.auth import Role, TokenSigner  # noqa: E402
from loadtests._server import BENCH_SECRET, ServerProcess, free_port  # noqa: E402
from stream_server._rtc import FrameTap  # noqa: E402
from stream_server.config import resolve_ffmpeg  # noqa: E402

W, H, FPS = 640, 360, 30
BITS, BLOCK, X0, Y0 = 16, 32, 16, 16
TICK = os.sysconf("SC_CLK_TCK")


# --- CPU of a process tree ------------------------------------------------------------------

def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


async def cpu_share(root: int, seconds: float) -> float:
    """Cores used by ``root`` and its descendants over ``seconds`` (1.0 = one core)."""
    pids = _tree(root)
    c0, t0 = _cpu_s(pids), time.monotonic()
    await asyncio.sleep(seconds)
    return (_cpu_s(pids) - c0) / (time.monotonic() - t0)


# --- a publisher whose frames carry their index ----------------------------------------------

class StampedTrack(VideoStreamTrack):
    """640x360 @ 30 moving bars, with the frame index as 16 black/white blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: dict[int, float] = {}
        self.n = 0
        self._start = 0.0
        self._bases = [bytes(((x * 3 + k * 8) & 0xFF) for x in range(W)) * H for k in range(32)]

    async def recv(self) -> av.VideoFrame:
        if self.n == 0:
            self._start = time.monotonic()
        await asyncio.sleep(max(0.0, self._start + self.n / FPS - time.monotonic()))
        luma = bytearray(self._bases[self.n % 32])
        for b in range(BITS):
            row = bytes([235 if (self.n >> b) & 1 else 16]) * BLOCK
            x = X0 + b * BLOCK
            for y in range(Y0, Y0 + BLOCK):
                luma[y * W + x:y * W + x + BLOCK] = row
        frame = av.VideoFrame(W, H, "yuv420p")
        frame.planes[0].update(bytes(luma))
        frame.planes[1].update(bytes([128]) * (W * H // 4))
        frame.planes[2].update(bytes([128]) * (W * H // 4))
        frame.pts, frame.time_base = self.n * 3000, fractions.Fraction(1, 90_000)
        self.sent[self.n] = time.monotonic()
        self.n += 1
        return frame


def read_index(frame: av.VideoFrame) -> int:
    plane = frame.planes[0]
    data, line = bytes(plane), plane.line_size
    n = 0
    for b in range(BITS):
        cx, cy = X0 + b * BLOCK + BLOCK // 2, Y0 + BLOCK // 2
        if sum(data[(cy + dy) * line + cx + dx] for dy in (-2, 0, 2) for dx in (-2, 0, 2)) > 9 * 128:
            n |= 1 << b
    return n


def _pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def _exchange(http: aiohttp.ClientSession, pc: RTCPeerConnection, url: str, headers: dict[str, str]) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    async with http.post(url, data=pc.localDescription.sdp,
                         headers={"Content-Type": "application/sdp", **headers}) as r:
        if r.status != 201:
            raise RuntimeError(f"{url}: {r.status} {await r.text()}")
        answer, location = await r.text(), r.headers["Location"]
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    return location


class Api:
    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base
        signer = TokenSigner(BENCH_SECRET)
        self.ops = {"Authorization": "Bearer " + signer.mint(Role.OPS, "bench")}

    async def room(self, title: str) -> dict[str, Any]:
        await self.http.post(self.base + "/api/v1/stores", headers=self.ops,
                             json={"id": "S1", "name": "S1", "city": "Shanghai", "lat": 31.2, "lng": 121.4})
        async with self.http.post(self.base + "/api/v1/rooms", headers=self.ops,
                                  json={"store_id": "S1", "title": title}) as r:
            return dict(await r.json())

    async def segments(self, room_id: str, base: str | None = None) -> list[str]:
        async with self.http.get(f"{base or self.base}/live/{room_id}/index.m3u8") as r:
            text = await r.text() if r.status == 200 else ""
        return [line for line in text.splitlines() if line.endswith(".ts")]

    async def wait_segments(self, room_id: str, count: int, interval: float) -> None:
        deadline = time.monotonic() + 30
        while True:
            if len(await self.segments(room_id)) >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"room {room_id}: no HLS segments")
            await asyncio.sleep(interval)


# --- 1. latency ------------------------------------------------------------------------------

async def phase_latency(api: Api, seconds: float) -> dict[str, float]:
    room = await api.room("latency")
    track = StampedTrack()
    pub = _pc()
    sender = pub.addTrack(track)
    caps = RTCRtpSender.getCapabilities("video").codecs
    next(t for t in pub.getTransceivers() if t.sender is sender).setCodecPreferences(
        [c for c in caps if c.name == "H264"])
    t0 = time.monotonic()
    await _exchange(api.http, pub, room["whip_url"], {"Authorization": f"Bearer {room['stream_key']}"})
    await api.wait_segments(room["id"], 1, 0.02)
    first_segment = time.monotonic() - t0

    whep_delays: list[float] = []
    viewer = _pc()
    viewer.addTransceiver("video", direction="recvonly")

    async def watch(remote: Any) -> None:
        while True:
            try:
                frame = await remote.recv()
            except Exception:  # the track ended
                return
            sent = track.sent.get(read_index(frame))
            if sent is not None:
                whep_delays.append(time.monotonic() - sent)

    viewer.on("track", lambda remote: asyncio.ensure_future(watch(remote)))
    await _exchange(api.http, viewer, f"{api.base}/whep/{room['id']}", {})

    edge, tail, seen = [], [], set(await api.segments(room["id"]))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for uri in await api.segments(room["id"]):
            if uri in seen:
                continue
            listed = time.monotonic()
            seen.add(uri)
            async with api.http.get(f"{api.base}/live/{room['id']}/{uri}") as r:
                data = await r.read()
            with av.open(io.BytesIO(data), format="mpegts") as c:
                idx = [read_index(f) for f in c.decode(video=0)]
            if idx and idx[0] in track.sent and idx[-1] in track.sent:
                edge.append(listed - track.sent[idx[0]])
                tail.append(listed - track.sent[idx[-1]])
        await asyncio.sleep(0.02)
    await viewer.close()
    await pub.close()
    whep_delays = whep_delays[FPS:]  # the first second: connection set-up
    return {"first_segment_s": first_segment, "hls_edge_s": statistics.median(edge), "hls_edge_max_s": max(edge),
            "hls_tail_s": statistics.median(tail), "whep_p50_s": statistics.median(whep_delays),
            "whep_p95_s": statistics.quantiles(whep_delays, n=20)[18], "segments": len(edge)}


# --- 2.-4. one 720p30 room: CPU, WHEP viewers, HLS viewers vs nginx ----------------------------

def make_clip(path: Path) -> None:
    subprocess.run([resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=f=440:r=48000",
                    "-t", "10", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "2M", "-maxrate", "2M",
                    "-bufsize", "2M", "-g", "30", "-bf", "0", "-pix_fmt", "yuv420p",
                    "-c:a", "libopus", "-b:a", "64k", "-ac", "2", str(path)], check=True, timeout=120)


async def counting_viewer(api: Api, room_id: str, counts: list[int]) -> RTCPeerConnection:
    """A WHEP viewer that counts the frames it receives without decoding them (decoding 720p in
    this process would starve the server it measures)."""
    pc = _pc()
    transceiver = pc.addTransceiver("video", direction="recvonly")
    slot = len(counts)
    counts.append(0)

    def count(_codec: str, _frame: Any) -> None:
        counts[slot] += 1

    FrameTap.install(transceiver.receiver, count)
    await _exchange(api.http, pc, f"{api.base}/whep/{room_id}", {})
    return pc


async def hls_players(http: aiohttp.ClientSession, base: str, room_id: str, n: int, seconds: float) -> dict[str, float]:
    stats = {"requests": 0, "bytes": 0, "errors": 0}
    stop_at = time.monotonic() + seconds

    async def player(delay: float) -> None:
        await asyncio.sleep(delay)
        last: str | None = None
        while time.monotonic() < stop_at:
            t = time.monotonic()
            try:
                async with http.get(f"{base}/live/{room_id}/index.m3u8") as r:
                    uris = [x for x in (await r.text()).splitlines() if x.endswith(".ts")]
                stats["requests"] += 1
                for uri in (uris[-1:] if last is None else [u for u in uris if u > last]):
                    async with http.get(f"{base}/live/{room_id}/{uri}") as r:
                        stats["bytes"] += len(await r.read())
                        stats["errors"] += r.status != 200
                    stats["requests"] += 1
                    last = uri
            except aiohttp.ClientError:
                stats["errors"] += 1
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - t)))

    await asyncio.gather(*(player(i / n) for i in range(n)))
    return stats


class Nginx:
    """nginx from Debian on a free 127.0.0.1 port, one worker, serving the media directory."""

    def __init__(self, media_dir: Path) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="lc-nginx-"))
        user = "user root;" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(f"""{user}
worker_processes 1; daemon off; pid {self.dir}/nginx.pid; error_log {self.dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; image/jpeg jpg; }}
  client_body_temp_path {self.dir}; proxy_temp_path {self.dir}; fastcgi_temp_path {self.dir};
  uwsgi_temp_path {self.dir}; scgi_temp_path {self.dir};
  server {{
    listen 127.0.0.1:{self.port};
    location /live/ {{ alias {media_dir}/; location ~ \\.m3u8$ {{ add_header Cache-Control no-cache; }} }}
  }}
}}
""")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("nginx is not running")
        return self.proc.pid

    def __enter__(self) -> Nginx:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([binary, "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def wrk(url: str, seconds: int, connections: int = 200) -> float:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


async def measure_hls(api: Api, name: str, base: str, pid: int, room_id: str,
                      args: argparse.Namespace) -> dict[str, Any]:
    """Paced players, then wrk at saturation on the newest segment, against one server."""
    out: dict[str, Any] = {}
    me = time.process_time()
    load = asyncio.ensure_future(hls_players(api.http, base, room_id, args.hls_players, args.seconds + 3))
    await asyncio.sleep(2)
    out[f"hls_cpu_{name}"] = await cpu_share(pid, args.seconds)
    stats = out[f"hls_stats_{name}"] = await load
    out[f"hls_client_cpu_{name}"] = (time.process_time() - me) / (args.seconds + 3)
    out["segment_bytes"] = stats["bytes"] / max(1, stats["requests"] / 2)
    segment = (await api.segments(room_id))[-1]
    share = asyncio.ensure_future(cpu_share(pid, 4))
    out[f"wrk_rps_{name}"] = await asyncio.to_thread(wrk, f"{base}/live/{room_id}/{segment}", 5)
    out[f"wrk_cpu_{name}"] = await share
    return out


async def phase_720p(api: Api, server_pid: int, media_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    clip = Path(tempfile.mkdtemp(prefix="lc-clip-")) / "clip.mkv"
    make_clip(clip)
    room = await api.room("720p30")
    publisher = await asyncio.create_subprocess_exec(
        resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip),
        "-c", "copy", "-f", "whip", "-authorization", room["stream_key"], room["whip_url"],
        stdout=subprocess.DEVNULL, stderr=(clip.parent / "publisher.log").open("wb"))
    out: dict[str, Any] = {}
    try:
        await api.wait_segments(room["id"], 3, 0.1)
        secs = args.seconds
        out["room_cpu"] = await cpu_share(server_pid, secs)
        out["publisher_cpu"] = await cpu_share(publisher.pid, 3)
        counts: list[int] = []
        viewers = [await counting_viewer(api, room["id"], counts) for _ in range(args.whep_viewers)]
        await asyncio.sleep(2)
        out["whep_cpu"] = await cpu_share(server_pid, secs)
        out["whep_frames_per_viewer_s"] = statistics.median(counts) / (secs + 2)
        for pc in viewers:
            await pc.close()
        await asyncio.sleep(2)
        out["idle_cpu"] = await cpu_share(server_pid, secs)
        out.update(await measure_hls(api, "ours", api.base, server_pid, room["id"], args))
        with Nginx(media_dir) as nginx:
            out.update(await measure_hls(api, "nginx", f"http://127.0.0.1:{nginx.port}", nginx.pid, room["id"], args))
    finally:
        if publisher.returncode is None:
            publisher.terminate()
        await publisher.wait()
        shutil.rmtree(clip.parent, ignore_errors=True)
    return out


def report(lat: dict[str, float], big: dict[str, Any], args: argparse.Namespace) -> str:
    n, v = args.hls_players, args.whep_viewers
    idle = big["idle_cpu"]
    rows = [
        ("publish -> first HLS segment (640x360, H.264 pass-through)", f"{lat['first_segment_s']:.2f} s", "<= 3 s"),
        ("HLS live-edge delay: capture -> segment listed, its first frame (median / max)",
         f"{lat['hls_edge_s']:.2f} / {lat['hls_edge_max_s']:.2f} s", "<= 4 s"),
        ("HLS: capture -> segment listed, its last frame (median)", f"{lat['hls_tail_s']:.2f} s", ""),
        ("WHEP delay: capture -> decoded at the viewer (p50 / p95)",
         f"{lat['whep_p50_s']:.3f} / {lat['whep_p95_s']:.3f} s", "<= 0.5 s"),
        ("one 720p30 room (2 Mbps, copy): server + its ffmpeg", f"{big['room_cpu'] * 100:.1f}% of a core", ""),
        ("  of which: the publisher (ffmpeg -c copy, outside the server)", f"{big['publisher_cpu'] * 100:.1f}%", ""),
        (f"+{v} WHEP viewers (720p30), per viewer",
         f"{(big['whep_cpu'] - idle) / v * 100:.1f}% of a core ({big['whep_frames_per_viewer_s']:.0f} fps each)", ""),
        (f"+{n} HLS players, per player: livecommerce (memory)",
         f"{(big['hls_cpu_ours'] - idle) / n * 100:.3f}% of a core", ""),
        (f"+{n} HLS players, per player: nginx (files, 1 worker)",
         f"{big['hls_cpu_nginx'] / n * 100:.3f}% of a core", ""),
        ("wrk -c200, one segment: livecommerce",
         f"{big['wrk_rps_ours']:,.0f} req/s at {big['wrk_cpu_ours'] * 100:.0f}% CPU", ""),
        ("wrk -c200, one segment: nginx", f"{big['wrk_rps_nginx']:,.0f} req/s at {big['wrk_cpu_nginx'] * 100:.0f}% CPU",
         ""),
    ]
    lines = ["| measure | value | target |", "|---|---:|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]
    lines.append("")
    lines.append(f"HLS players: ours {big['hls_stats_ours']}, nginx {big['hls_stats_nginx']}; "
                 f"player CPU (this process) ours {big['hls_client_cpu_ours'] * 100:.0f}%, "
                 f"nginx {big['hls_client_cpu_nginx'] * 100:.0f}%; segment ~{big['segment_bytes'] / 1000:.0f} kB; "
                 f"idle room {idle * 100:.1f}%, with viewers {big['whep_cpu'] * 100:.1f}%, "
                 f"with HLS players {big['hls_cpu_ours'] * 100:.1f}%")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> str:
    with ServerProcess(env={"LC_LOG_LEVEL": "INFO"}) as server:
        print(f"server log: {server.data_dir / 'server.log'}", file=sys.stderr)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            api = Api(http, server.base)
            lat = await phase_latency(api, args.seconds)
            big = await phase_720p(api, server.pid, server.data_dir / "media", args)
    shutil.rmtree(server.data_dir, ignore_errors=True)  # kept, with its log, when the run fails
    return report(lat, big, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each measuring window")
    parser.add_argument("--hls-players", type=int, default=300)
    parser.add_argument("--whep-viewers", type=int, default=8)
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"bench_media: {tool} is needed (apt-get install nginx-light wrk)")
    print(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
