"""Benchmark of the viewer player in headless Chromium: HTTP-FLV (mpegts.js) against HLS (hls.js),
same room, same run.

A real ``livecommerce serve`` on 127.0.0.1; bench_media.py's stamped aiortc publisher (640x360 @ 30
H.264 with the frame index drawn as 16 blocks, plus a silent Opus track) publishes over WHIP. For
each engine, ``--joins`` fresh browser contexts open ``/rooms/{id}`` (``?player=hls`` for hls.js):

- join -> first frame: from the player's creation to its first decoded frame (the page's
  ``window.__lcPlayer``), and from the navigation to it;
- glass-to-glass: for ``--seconds`` the page draws every presented frame to a canvas and reads its
  index back; presented (browser wall clock) minus captured (bench wall clock, same machine).

    .venv/bin/python loadtests/bench_player.py [--joins 4] [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCRtpSender
from aiortc.mediastreams import AudioStreamTrack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtests._server import ServerProcess  # noqa: E402
from loadtests.bench_media import BITS, BLOCK, X0, Y0, Api, StampedTrack, _exchange, _pc  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]

# Reads the stamped index of each presented frame: [[index, presented epoch ms], ...]
READ_FRAMES = f"""(ms) => new Promise((resolve) => {{
  const v = document.querySelector('#video');
  const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d', {{ willReadFrequently: true }});
  const out = [], end = performance.now() + ms;
  const step = (_now, meta) => {{
    g.drawImage(v, 0, 0);
    let n = 0;
    for (let b = 0; b < {BITS}; b++) {{
      const d = g.getImageData({X0} + b * {BLOCK} + {BLOCK // 2} - 2, {Y0} + {BLOCK // 2} - 2, 5, 5).data;
      let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i];
      if (s / (d.length / 4) > 128) n |= 1 << b;
    }}
    out.push([n, performance.timeOrigin + meta.presentationTime]);
    if (performance.now() < end) v.requestVideoFrameCallback(step); else resolve(out);
  }};
  v.requestVideoFrameCallback(step);
}})"""


async def publish(api: Api) -> tuple[dict[str, Any], StampedTrack, Any]:
    room = await api.room("player bench")
    track = StampedTrack()
    pub = _pc()
    sender = pub.addTrack(track)
    pub.addTrack(AudioStreamTrack())
    caps = RTCRtpSender.getCapabilities("video").codecs
    next(t for t in pub.getTransceivers() if t.sender is sender).setCodecPreferences(
        [c for c in caps if c.name == "H264"])
    await _exchange(api.http, pub, room["whip_url"], {"Authorization": f"Bearer {room['stream_key']}"})
    await api.wait_segments(room["id"], 2, 0.1)
    return room, track, pub


async def one_join(browser: Any, url: str, track: StampedTrack, seconds: float) -> dict[str, Any]:
    ctx = await browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = await ctx.new_page()
        await page.goto(url)
        await page.wait_for_function("() => window.__lcPlayer && window.__lcPlayer.firstFrameAt > 0", timeout=20000)
        s = await page.evaluate("() => ({...window.__lcPlayer})")
        frames = await page.evaluate(READ_FRAMES, seconds * 1000)
        # captured on the bench's monotonic clock: move it to the wall clock the browser reports in
        shift = time.time() - time.monotonic()
        delays = [shown / 1000 - (track.sent[i] + shift) for i, shown in frames if i in track.sent]
        return {"mode": s["mode"], "join_s": (s["firstFrameAt"] - s["createdAt"]) / 1000,
                "load_s": s["firstFrameAt"] / 1000, "delays": delays, "frames": len(frames)}
    finally:
        await ctx.close()


async def run(args: argparse.Namespace) -> str:
    from playwright.async_api import async_playwright

    with ServerProcess() as server:
        async with aiohttp.ClientSession() as http:
            api = Api(http, server.base)
            room, track, pub = await publish(api)
            results: dict[str, list[dict[str, Any]]] = {"flv": [], "hls": []}
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                for i in range(args.joins):  # interleaved, so both engines see the same moments of the stream
                    for mode, query in (("flv", ""), ("hls", "?player=hls")):
                        r = await one_join(browser, f"{server.base}/rooms/{room['id']}{query}", track, args.seconds)
                        assert r["mode"] == mode, r
                        results[mode].append(r)
                        print(f"join {i + 1} {mode}: first frame {r['join_s']:.2f} s, "
                              f"glass-to-glass p50 {statistics.median(r['delays']):.2f} s", file=sys.stderr)
                await browser.close()
            await pub.close()
    return report(results, args)


def _stats(rs: list[dict[str, Any]]) -> dict[str, float]:
    delays = sorted(d for r in rs for d in r["delays"])
    return {"join_p50": statistics.median(r["join_s"] for r in rs), "join_max": max(r["join_s"] for r in rs),
            "load_p50": statistics.median(r["load_s"] for r in rs),
            "g2g_p50": statistics.median(delays), "g2g_p95": delays[int(len(delays) * 0.95)]}


def _cell(s: dict[str, float], a: str, b: str | None) -> str:
    return f"{s[a]:.2f}" + (f" / {s[b]:.2f}" if b else "") + " s"


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    f, h = _stats(results["flv"]), _stats(results["hls"])
    rows = [("player created -> first decoded frame (p50 / max)", "join_p50", "join_max"),
            ("page navigation -> first decoded frame (p50)", "load_p50", None),
            ("glass-to-glass: captured -> presented (p50 / p95)", "g2g_p50", "g2g_p95")]
    lines = [f"{args.joins} joins per engine, {args.seconds:.0f} s of frames each; 640x360 @ 30 H.264 + Opus",
             "", "| measure | HTTP-FLV (mpegts.js) | HLS (hls.js) | FLV / HLS |", "|---|---:|---:|---:|"]
    for label, a, b in rows:
        lines.append(f"| {label} | {_cell(f, a, b)} | {_cell(h, a, b)} | {f[a] / h[a]:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--joins", type=int, default=4)
    p.add_argument("--seconds", type=float, default=4.0)
    print(asyncio.run(run(p.parse_args())))


if __name__ == "__main__":
    main()
