"""Benchmark of the room's realtime plane: viewers per process, pin broadcast delay, memory.

A server process holding the real websocket route and hub (loadtests/_room_server.py) on a
private redis-server; viewers are real `websockets` clients in separate processes. For each
scenario the clients connect, then the server broadcasts pins stamped with its clock and every
client records the delay to receipt; p50/p99 over all (client, pin) pairs. Bounded; 127.0.0.1.

    .venv/bin/python loadtests/bench_room.py [--viewers 1000 5000] [--rooms50 100] [--pins 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livecommerce.web.auth import Role, TokenSigner  # noqa: E402
from loadtests._server import free_port  # noqa: E402

SECRET = "bench-room-secret-0123456789abcdef0123"


def _client_proc(url_base: str, rooms: list[str], per_room: int, pins: int, out: mp.Queue, go: mp.Event) -> None:
    import websockets

    signer = TokenSigner(SECRET)

    async def viewer(room: str, i: int, delays: list[float], ready: asyncio.Event, counter: list[int]) -> None:
        token = signer.mint(Role.VIEWER, f"u{os.getpid()}_{room}_{i}", nickname=f"v{i}")
        try:
            await _view(room, token, delays, ready, counter)
        finally:
            counter[1] += 1
            if counter[0] + counter[1] >= len(rooms) * per_room * 2:
                ready.set()

    async def _view(room: str, token: str, delays: list[float], ready: asyncio.Event, counter: list[int]) -> None:
        async with websockets.connect(f"{url_base}/ws/rooms/{room}?token={token}", max_queue=None,
                                      open_timeout=30, ping_interval=None) as ws:
            counter[0] += 1
            if counter[0] == len(rooms) * per_room:
                ready.set()
            seen = 0
            async for raw in ws:
                now = time.time()
                msg = json.loads(raw)
                if msg["type"] == "pin" and msg["product"] and "sent_at" in msg["product"]:
                    delays.append(now - msg["product"]["sent_at"])
                    seen += 1
                    if seen >= pins:
                        return

    async def run() -> None:
        delays: list[float] = []
        ready = asyncio.Event()
        counter = [0, 0]  # connected, finished
        tasks = []
        for room in rooms:
            for i in range(per_room):
                tasks.append(asyncio.create_task(viewer(room, i, delays, ready, counter)))
                if len(tasks) % 200 == 0:
                    await asyncio.sleep(0.05)  # connect in waves, as viewers arrive
        try:
            await asyncio.wait_for(ready.wait(), 120)
        finally:
            out.put(("ready", counter[0]))
        await asyncio.gather(*tasks, return_exceptions=True)
        out.put(("delays", delays))

    asyncio.run(run())


def _get(url: str, method: str = "GET") -> dict:
    with urllib.request.urlopen(urllib.request.Request(url, method=method, data=b"" if method == "POST" else None),
                                timeout=30) as r:
        return json.loads(r.read())


def scenario(base: str, rooms: list[str], per_room: int, pins: int, procs: int) -> dict:
    before = _get(base + "/bench/stats")
    out: mp.Queue = mp.Queue()
    go = mp.Event()
    share = [rooms[i::procs] for i in range(procs)]
    workers = [mp.Process(target=_client_proc, args=(base.replace("http", "ws"), s, per_room, pins, out, go))
               for s in share if s]
    for w in workers:
        w.start()
    connected = sum(out.get(timeout=180)[1] for _ in workers)
    print(f"  {connected} viewers connected in {len(rooms)} room(s)", file=sys.stderr, flush=True)
    time.sleep(1.5)  # let viewer counts settle
    mid = _get(base + "/bench/stats")
    cpu0 = mid["cpu_s"]
    fan0 = (mid["fanout_sum_s"], mid["fanout_count"])
    for _ in range(pins):
        for room in rooms:
            _get(f"{base}/bench/pin/{room}", "POST")
        time.sleep(0.5)
    pinned = _get(base + "/bench/stats")
    fanouts = pinned["fanout_count"] - fan0[1]
    delays: list[float] = []
    for _ in workers:
        _, value = out.get(timeout=120)
        delays.extend(value)
    for w in workers:
        w.join(30)
    after = _get(base + "/bench/stats")
    delays.sort()
    return {
        "viewers": connected,
        "rooms": len(rooms),
        "pins received": f"{len(delays):,} of {connected * pins:,}",
        "p50 ms": 1000 * statistics.median(delays) if delays else float("nan"),
        "p99 ms": 1000 * delays[int(len(delays) * 0.99) - 1] if delays else float("nan"),
        "server fan-out ms per message": 1000 * (pinned["fanout_sum_s"] - fan0[0]) / max(1, fanouts),
        "KB per connection": (mid["rss_kb"] - before["rss_kb"]) / max(1, connected),
        "server CPU s per pin round": (after["cpu_s"] - cpu0) / pins,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--rooms50", type=int, default=100, help="viewers per room in the 50-room scenario")
    ap.add_argument("--pins", type=int, default=5)
    ap.add_argument("--client-procs", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lc-bench-room-"))
    redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", "0", "--unixsocket",
                              str(work / "r.sock"), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    port = free_port()
    time.sleep(0.3)
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_room_server.py")), str(port),
                               f"unix://{work / 'r.sock'}", SECRET],
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _get(base + "/bench/stats")
                break
            except OSError:
                time.sleep(0.1)
        rows = []
        for n in args.viewers:
            rows.append(("1 room", scenario(base, [f"big{n}"], n, args.pins, args.client_procs)))
        rows.append(("50 rooms", scenario(base, [f"r{i}" for i in range(50)], args.rooms50, args.pins,
                                          args.client_procs)))
    finally:
        server.terminate()
        server.wait(10)
        redis.terminate()
        shutil.rmtree(work, ignore_errors=True)
    keys = list(rows[0][1])
    print("| scenario | " + " | ".join(keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for name, row in rows:
        print(f"| {name} | " + " | ".join(f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int)
                                          else str(v) for v in row.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
