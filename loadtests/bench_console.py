"""Benchmark of what the host console and the demo add: the room's sales list the console polls
(``GET /api/v1/flash-sales?room_id=``, a pipelined scan of the active-sales index) against reading
one sale, as the number of active sales grows; and ``livecommerce demo`` from the command to a live
room (banner printed, first HLS segment). Bounded; 127.0.0.1 only.

    .venv/bin/python loadtests/bench_console.py [--active 10 100 1000] [--reads 300] [--demo-runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livecommerce.web.auth import Role, TokenSigner  # noqa: E402
from loadtests._server import BENCH_SECRET, ServerProcess, free_port  # noqa: E402

ROOM = "r-bench-console"


async def _create_sales(http: aiohttp.ClientSession, base: str, ops: dict[str, str], n: int, room: str | None) -> str:
    now = datetime.now(UTC)
    body = {"sku": "SKU1", "price_cents": 100, "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "per_user_limit": 1, "payment_timeout_s": 60,
            "allocations": [{"store_id": "S1", "quantity": 1}]}
    if room:
        body["room_id"] = room
    sem = asyncio.Semaphore(8)
    last = ""

    async def one(i: int) -> None:
        nonlocal last
        async with sem, http.post(f"{base}/api/v1/flash-sales", json={**body, "room_id": room or f"r-other-{i % 50}"},
                                  headers=ops) as r:
            assert r.status == 201, await r.text()
            last = (await r.json())["id"]

    await asyncio.gather(*(one(i) for i in range(n)))
    return last


async def _timed(http: aiohttp.ClientSession, url: str) -> float:
    t0 = time.perf_counter()
    async with http.get(url) as r:
        await r.read()
        assert r.status == 200
    return time.perf_counter() - t0


async def bench_list(active: list[int], reads: int) -> list[tuple[int, float, float, float, float]]:
    rows = []
    with ServerProcess() as server:
        ops = {"Authorization": "Bearer " + TokenSigner(BENCH_SECRET).mint(Role.OPS, "bench")}
        async with aiohttp.ClientSession() as http:
            base = server.base
            await http.post(f"{base}/api/v1/stores", json={"id": "S1", "name": "S1", "city": "Shanghai",
                                                           "lat": 31.23, "lng": 121.47}, headers=ops)
            await http.post(f"{base}/api/v1/products", json={"sku": "SKU1", "name": "x", "price_cents": 100},
                            headers=ops)
            await http.put(f"{base}/api/v1/stores/S1/stock/SKU1", json={"quantity": 1_000_000}, headers=ops)
            one = await _create_sales(http, base, ops, 3, ROOM)  # the room's own sales
            have = 3
            for n in active:
                await _create_sales(http, base, ops, n - have, None)
                have = n
                lst, single = [], []
                for _ in range(reads):  # interleaved: both see the same machine
                    lst.append(await _timed(http, f"{base}/api/v1/flash-sales?room_id={ROOM}"))
                    single.append(await _timed(http, f"{base}/api/v1/flash-sales/{one}"))
                q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1] * 1000  # noqa: E731
                rows.append((n, q(lst, 50), q(lst, 99), q(single, 50), q(single, 99)))
    return rows


def bench_demo(runs: int) -> list[tuple[float, float]]:
    out = []
    for _ in range(runs):
        data = Path(tempfile.mkdtemp(prefix="lc-bench-demo-"))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("LC_SECRET", "REDIS_URL", "DATABASE_URL")}
        env["LC_RTMP_PORT"] = "0"
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "livecommerce", "demo", "--host", "127.0.0.1",
                                 "--port", str(port), "--data-dir", str(data)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            banner, room = 0.0, None
            assert proc.stdout is not None
            for line in proc.stdout:
                m = re.search(r"/rooms/(\S+)", line)
                room = m.group(1) if m else room
                if line.strip().startswith("ops token:"):
                    banner = time.monotonic() - t0
                    break
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/live/{room}/index.m3u8", timeout=5) as r:
                    if re.search(rb"^\S+\.ts$", r.read(), re.M):
                        break
                time.sleep(0.1)
            out.append((banner, time.monotonic() - t0))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            shutil.rmtree(data, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--active", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--reads", type=int, default=300)
    ap.add_argument("--demo-runs", type=int, default=3)
    args = ap.parse_args()
    print("| active sales | room list p50 / p99 (ms) | one sale p50 / p99 (ms) | list / one (p50) |")
    print("|---:|---:|---:|---:|")
    for n, lp50, lp99, sp50, sp99 in asyncio.run(bench_list(args.active, args.reads)):
        print(f"| {n} | {lp50:.2f} / {lp99:.2f} | {sp50:.2f} / {sp99:.2f} | {lp50 / sp50:.2f}x |")
    demo = bench_demo(args.demo_runs)
    print(f"\ndemo, fresh data dir ({len(demo)} runs): banner printed after "
          f"{statistics.median(b for b, _ in demo):.1f} s (max {max(b for b, _ in demo):.1f}), first HLS "
          f"segment after {statistics.median(h for _, h in demo):.1f} s (max {max(h for _, h in demo):.1f})")


if __name__ == "__main__":
    main()
