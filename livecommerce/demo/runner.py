"""``livecommerce demo``: the platform with embedded defaults, seeded, with a live room fed by a
synthetic host, until Ctrl-C or SIGTERM (which stop ffmpeg, the server and its Redis, in that order)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time

import aiohttp
from aiohttp import web

from livecommerce.app import build_app
from livecommerce.config import Settings
from livecommerce.demo.catalog import HOST_STORE
from livecommerce.demo.host_stream import HostStream
from livecommerce.demo.seed import DemoRoom, open_room, seed_catalog
from livecommerce.web.auth import Role, TokenSigner

__all__ = ["run_demo"]

log = logging.getLogger(__name__)


async def _wait_live(http: aiohttp.ClientSession, base: str, room_id: str, stream: HostStream,
                     within_s: float = 45.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and stream.running:
        async with http.get(f"{base}/api/v1/rooms/{room_id}") as resp:
            if (await resp.json())["status"] == "live":
                return True
        await asyncio.sleep(0.3)
    return False


def _banner(public: str, room: DemoRoom | None, host_token: str, ops_token: str, live: bool) -> str:
    lines = ["", "livecommerce demo is running (Ctrl-C stops it)", ""]
    if room is not None:
        state = "live" if live else "created (no stream)"
        lines += [f"  player (room {state}): {public}/rooms/{room.id}",
                  f"  flash sale {room.sale_id} starts at {room.sale_starts_at}"]
    else:
        lines.append(f"  player:  {public}/")
    lines += [f"  console: {public}/console", f"  ops:     {public}/ops", "",
              f"  host token ({HOST_STORE}): {host_token}", f"  ops token: {ops_token}", ""]
    return "\n".join(lines)


async def run_demo(settings: Settings, stream: bool = True) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    signer = TokenSigner(settings.secret)
    ops_token = signer.mint(Role.OPS, "ops-demo", nickname="Ops")
    host_token = signer.mint(Role.HOST, "host-lin", store_id=HOST_STORE, nickname="Lin (host)")
    runner = web.AppRunner(build_app(settings), access_log=None, handle_signals=False)
    await runner.setup()
    host_stream: HostStream | None = None
    try:
        try:
            await web.TCPSite(runner, settings.host, settings.port).start()
        except OSError as exc:
            print(f"livecommerce demo: cannot listen on {settings.host}:{settings.port}: {exc.strerror}",
                  file=sys.stderr, flush=True)
            return 2
        base = f"http://127.0.0.1:{settings.port}"
        public = f"http://{'127.0.0.1' if settings.host in ('0.0.0.0', '::') else settings.host}:{settings.port}"
        room, live = None, False
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            await seed_catalog(http, base, ops_token)
            if stream:
                room = await open_room(http, base, ops_token)
                host_stream = HostStream(room.whip_url, room.stream_key)
                await host_stream.start()
                live = await _wait_live(http, base, room.id, host_stream)
                if not live:
                    log.warning("the demo room did not go live (ffmpeg exited or WHIP failed)")
        print(_banner(public, room, host_token, ops_token, live), flush=True)
        await stop.wait()
        return 0
    finally:
        print("livecommerce demo: stopping", file=sys.stderr, flush=True)
        if host_stream is not None:
            await host_stream.stop()
        await runner.cleanup()
