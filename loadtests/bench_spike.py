"""Benchmark of the flash-sale spike through locust, read against locust's own ceiling in the same run.

Runs ``loadtests/run.py`` five times, each on a fresh server: the trivial baseline (GET
/api/v1/time as fast as locust can) with 1 and with N locust processes, then the spike at 1,000
buyers (1 process) and at 5,000 buyers (N processes), with and without the room websockets.
Prints one markdown table: req/s over the run and in the busiest second, buy p50/p99, errors,
oversell, and the books. Bounded; 127.0.0.1.

    .venv/bin/python loadtests/bench_spike.py [--processes 2] [--run-time 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUY = "POST /api/v1/flash-sales/[id]/orders"


def _run(results: Path, scenario: str, users: int, processes: int, run_time: float, *extra: str) -> dict:
    before = set(results.glob(f"{scenario}-*"))
    cmd = [sys.executable, str(HERE / "run.py"), scenario, "--users", str(users), "--processes", str(processes),
           "--run-time", str(run_time), "--results", str(results), *extra]
    print("+", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    subprocess.run(cmd, timeout=run_time + 400, stdout=subprocess.DEVNULL)
    (new,) = set(results.glob(f"{scenario}-*")) - before
    return json.loads((new / "summary.json").read_text())


def _row(label: str, s: dict, name: str) -> str:
    f = s["requests"].get(name, {})
    agg = s["requests"].get("Aggregated", {})
    b = s["books"]
    sb = s.get("server_buy_latency") or {}
    server = f"{sb.get('p50_ms')} / {sb.get('p99_ms')}" if sb.get("count") else "-"
    return (f"| {label} | {s['processes']} | {agg.get('rps', 0):,} | {agg.get('peak_rps', 0):,} | "
            f"{f.get('requests', 0):,} | {f.get('p50_ms')} | {f.get('p99_ms')} | {server} | {agg.get('failures', 0)} "
            f"({s['error_rate']:.2%}) | {b['oversold']} | {b['orders_acked']} / {b['orders_in_ledger']} | "
            f"{'OK' if s['ok'] else 'FAILED'} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--run-time", type=float, default=20)
    ap.add_argument("--results", type=Path, default=Path("loadtests/results"))
    args = ap.parse_args()
    results = args.results.resolve() / f"bench-spike-{time.strftime('%Y%m%d-%H%M%S')}"
    results.mkdir(parents=True)
    p = args.processes
    runs = [
        ("trivial GET /api/v1/time, 500 users", _run(results, "baseline", 500, 1, 10), "GET /api/v1/time"),
        (f"trivial GET /api/v1/time, 500 users, {p} processes", _run(results, "baseline", 500, p, 10),
         "GET /api/v1/time"),
        ("spike, 1,000 buyers", _run(results, "spike", 1000, 1, args.run_time), BUY),
        # longer: every journey must end (and its stats reach locust's master) before the shape stops
        ("spike, 5,000 buyers", _run(results, "spike", 5000, p, args.run_time * 2 + 10), BUY),
        # the same crowd without the room websockets: what the buy path takes when locust only taps
        ("spike, 5,000 buyers, no websockets", _run(results, "spike", 5000, p, args.run_time * 2 + 10,
                                                    "--no-websocket"), BUY),
    ]
    print("| run | locust processes | req/s (run) | req/s (peak 1 s) | buy requests | buy p50 ms | buy p99 ms "
          "| server's buy p50 / p99 ms | failures | oversold | orders acked / in ledger | books |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, s, name in runs:
        print(_row(label, s, name))
    return 0 if all(s["ok"] for _, s, _ in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
