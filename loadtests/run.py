"""Runs one load-test scenario end to end: server, seed, headless locust, then the books.

    .venv/bin/python loadtests/run.py spike --users 1000 --run-time 20 [--processes 2]
    .venv/bin/python loadtests/run.py evening --users 600 --rooms 50 --run-time 120
    .venv/bin/python loadtests/run.py soak --users 200 --run-time 1800
    .venv/bin/python loadtests/run.py spike --target http://127.0.0.1:8080 --data-dir ./data

Without ``--target`` it starts its own ``livecommerce serve`` (embedded Redis and SQLite, ledger
worker on) on a free 127.0.0.1 port. It seeds through the API, runs locust headless for a bounded
time (CSV + HTML report in ``--results``), reports live figures to ``POST /api/v1/ops/loadtest``
(the /ops page shows them), then runs ``livecommerce verify`` and the API checks of the books.
Exit status: 0 when every invariant holds and the error rate is within ``--error-budget``; 1
otherwise; 2 when the run itself could not happen.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livecommerce.config import load_secret  # noqa: E402
from livecommerce.web.auth import Role, TokenSigner  # noqa: E402
from loadtests._checks import check_books  # noqa: E402
from loadtests._locust_stats import final_figures, live_figures  # noqa: E402
from loadtests._plan import Plan  # noqa: E402
from loadtests._seed import Api, seed  # noqa: E402
from loadtests._server import BENCH_SECRET, ServerProcess  # noqa: E402
from loadtests._server_side import server_buy_latency  # noqa: E402

HERE = Path(__file__).resolve().parent
#: scenario -> (persona files, shape file, rooms, payment window in seconds)
SCENARIOS = {
    "baseline": (["time_probe.py"], "shape_spike.py", 0, 60),  # the load generator's ceiling
    "spike": (["flash_sale_buyer.py"], "shape_spike.py", 1, 8),
    "evening": (["viewer.py", "host.py", "flash_sale_buyer.py"], "shape_evening.py", 50, 60),
    "soak": (["viewer.py", "host.py", "flash_sale_buyer.py"], "shape_soak.py", 5, 60),
}


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--run-time", type=float, default=15.0, help="seconds of load (locust is bounded by it)")
    ap.add_argument("--processes", type=int, default=1,
                    help="locust worker processes on this machine (-1: one per core)")
    ap.add_argument("--stock", type=int, help="units in the sale (default users/3)")
    ap.add_argument("--stores", type=int, default=3)
    ap.add_argument("--rooms", type=int, help="rooms to seed (default per scenario)")
    ap.add_argument("--sale-in", type=float, help="seconds from seeding to the sale's start (default: login time)")
    ap.add_argument("--no-websocket", action="store_true", help="buyers do not join the room websocket")
    ap.add_argument("--target", help="an already running server's base URL (127.0.0.1 only)")
    ap.add_argument("--data-dir", type=Path, help="the target's data dir (its secret; livecommerce verify)")
    ap.add_argument("--results", type=Path, default=Path("loadtests/results"))
    ap.add_argument("--error-budget", type=float, default=0.01, help="highest acceptable failure ratio")
    return ap.parse_args()


class LiveReporter:
    """Posts locust's latest figures to the server every ``every_s`` while the run lasts."""

    def __init__(self, api: Api, prefix: Path, run_id: str, scenario: str, every_s: float = 2.0) -> None:
        self._api, self._prefix, self._run_id, self._scenario, self._every = api, prefix, run_id, scenario, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.monotonic()

    def __enter__(self) -> LiveReporter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def post(self, state: str, figures: dict[str, Any] | None = None) -> None:
        f = figures or live_figures(self._prefix) or {"users": 0, "rps": 0.0, "requests": 0, "failures": 0}
        body = {"run_id": self._run_id, "scenario": self._scenario, "state": state,
                "elapsed_s": round(time.monotonic() - self._started, 1), **f}
        try:
            self._api.call("POST", "/api/v1/ops/loadtest", body)
        except Exception as exc:  # noqa: BLE001 - the dashboard is a bonus; the run goes on
            print(f"run.py: live report failed: {exc}", file=sys.stderr)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.post("running")


def _locust(args: argparse.Namespace, plan_path: Path, prefix: Path, files: list[str], ramp_s: float) -> int:
    cmd = [sys.executable, "-m", "locust", "-f", ",".join(str(HERE / f) for f in files), "--headless",
           "--csv", str(prefix), "--csv-full-history", "--html", f"{prefix}.html", "--only-summary",
           "--stop-timeout", "5", "--loglevel", "WARNING"]  # the shape ends the run (locust ignores --run-time then)
    if args.processes != 1:
        cmd += ["--processes", str(args.processes)]
    env = {**os.environ, "LC_LOAD_PLAN": str(plan_path), "LC_USERS": str(args.users), "LC_RAMP_S": str(ramp_s),
           "LC_RUN_S": str(args.run_time), "PYTHONPATH": str(ROOT)}
    with open(f"{prefix}.log", "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=args.run_time + 90)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = -9
        proc.wait()
        _reap_group(proc.pid)  # --processes workers may outlive their master by a moment: their acks count
        return rc


def _reap_group(pgid: int, grace_s: float = 15.0) -> None:
    """Wait for every process of locust's session to end (SIGKILL after ``grace_s``)."""
    deadline = time.monotonic() + grace_s
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            os.killpg(pgid, signal.SIGKILL)
            time.sleep(0.2)
            return
        time.sleep(0.1)


def main() -> int:
    args = _args()
    files, shape, default_rooms, payment_s = SCENARIOS[args.scenario]
    results = args.results.resolve() / f"{args.scenario}-{time.strftime('%Y%m%d-%H%M%S')}"
    results.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if args.target:
            if not args.target.startswith(("http://127.0.0.1", "http://localhost")):
                print("run.py: load tests target 127.0.0.1 only", file=sys.stderr)
                return 2
            if args.data_dir is None:
                print("run.py: --target needs --data-dir (the server's secret)", file=sys.stderr)
                return 2
            data_dir = args.data_dir.resolve()
            base, secret = args.target.rstrip("/"), load_secret(data_dir)
        else:
            srv = stack.enter_context(ServerProcess(env={"LC_LEDGER_WORKER": "1"}))
            stack.callback(shutil.rmtree, srv.data_dir, True)
            base, data_dir, secret = srv.base, srv.data_dir, BENCH_SECRET
        signer = TokenSigner(secret)
        api = Api(base, signer.mint(Role.OPS, "loadtest"))
        stores = [f"S{i + 1}" for i in range(args.stores)]
        host_tokens = {s: signer.mint(Role.HOST, f"host-{s}", store_id=s) for s in stores}
        sale_in = args.sale_in if args.sale_in is not None else 3.0 + args.users / 600
        seeded = seed(api, host_tokens, stock=args.stock or max(1, args.users // 3),
                      rooms=args.rooms if args.rooms is not None else default_rooms, sale_in_s=sale_in,
                      sale_s=args.run_time + 120, payment_timeout_s=payment_s)
        sale_id = seeded["sale"]["id"]
        plan = Plan(base_url=base, sale_id=sale_id, sale_starts_at=seeded["starts_epoch"], stores=stores,
                    rooms=list(seeded["room_store"]), host_tokens=host_tokens, room_store=seeded["room_store"],
                    websocket=not args.no_websocket, results_dir=str(results))
        plan.write(results / "plan.json")
        prefix = results / "locust"
        reporter = LiveReporter(api, prefix, results.name, args.scenario)
        with reporter:
            rc = _locust(args, results / "plan.json", prefix, [*files, shape], ramp_s=sale_in * 0.6)
        figures = final_figures(prefix)
        total = figures.get("Aggregated", {"requests": 0, "failures": 0})
        error_rate = total["failures"] / total["requests"] if total["requests"] else 1.0
        books = check_books(api, sale_id, results, data_dir)
        server_side = server_buy_latency(base) if not args.target else None  # a shared server's is not this run's
        # locust exits 1 when any request failed: the error budget decides; anything else is a broken run
        ok = rc in (0, 1) and books["ok"] and error_rate <= args.error_budget and total["requests"] > 0
        reporter.post("done" if ok else "failed", live_figures(prefix))
        summary = {"scenario": args.scenario, "users": args.users, "processes": args.processes,
                   "run_time_s": args.run_time, "locust_exit": rc, "error_rate": round(error_rate, 5),
                   "error_budget": args.error_budget, "requests": figures, "books": books, "ok": ok,
                   "server_buy_latency": server_side,
                   "results": str(results)}
        (results / "summary.json").write_text(json.dumps(summary, indent=1))
        _print_summary(summary)
        return 0 if ok else 1
    return 2


def _print_summary(s: dict[str, Any]) -> None:
    print(f"\n{s['scenario']}: {s['users']} users, {s['run_time_s']:g} s, {s['processes']} locust process(es)")
    print("| request | count | failures | req/s (peak 1 s) | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|")
    for name, f in s["requests"].items():
        print(f"| {name} | {f['requests']:,} | {f['failures']:,} | {f['rps']:,} ({f['peak_rps']:,}) "
              f"| {f['p50_ms']} | {f['p99_ms']} |")
    if s.get("server_buy_latency"):
        sb = s["server_buy_latency"]
        print(f"\nbuy route as the server timed it: p50 {sb['p50_ms']} ms, p99 {sb['p99_ms']} ms ({sb['count']:.0f})")
    b = s["books"]
    print(f"\nsale: {b['sale']}; oversold: {b['oversold']}; orders acknowledged {b['orders_acked']}, "
          f"in ledger {b['orders_in_ledger']} {b['ledger_statuses']}")
    print(f"checks: {b['checks']}; error rate {s['error_rate']:.4f} (budget {s['error_budget']})")
    print(f"{'OK' if s['ok'] else 'FAILED'}: results in {s['results']}")


if __name__ == "__main__":
    raise SystemExit(main())
