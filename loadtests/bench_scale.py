"""Benchmark of scaling out, as ratios measured in one run.

1. Processes: the buy storm against ``serve --workers 1`` and ``serve --workers 2`` (each with its
   embedded Redis), both running, phases interleaved.
2. Shards: one hot sale on a local Redis Cluster (3 masters, no replicas), as an ordinary sale (all
   its keys on one master) and in hot-item mode with ``"shards": 3`` (one bucket per master), same
   server (``--cluster-workers`` processes), interleaved. Besides req/s it reports the CPU of the
   busiest Redis master: the resource a hot sale exhausts first on a real cluster.

Load comes from ``wrk`` with bench_buy.py's buy script (its harness, imported). Each phase runs
``--duration`` seconds at ``--connections`` connections; ``--rounds`` interleaved rounds, medians.
Afterwards every sale's books must balance (allocated = remaining + reserved + sold). Bounded in
time; 127.0.0.1 only.

    .venv/bin/python loadtests/bench_scale.py [--duration 8] [--connections 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livecommerce.web.auth import Role, TokenSigner  # noqa: E402
from loadtests._server import BENCH_SECRET, ServerProcess  # noqa: E402
from loadtests.bench_buy import BUY_LUA, STORES, Result, _call, wrk  # noqa: E402
from tests.redis_cluster import LocalCluster  # noqa: E402


def _redis_cpu(pids: list[int]) -> list[float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = []
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        out.append((int(fields[11]) + int(fields[12])) / tick)
    return out


def _seed(base: str, ops: str, stock: int, sales: dict[str, int]) -> dict[str, str]:
    """Catalogue, stock, and one sale per entry of ``sales`` (name -> shards)."""
    _call(base, "POST", "/api/v1/products", ops, {"sku": "SKU1", "name": "Scarf", "price_cents": 100})
    for sid, (lat, lng) in STORES.items():
        _call(base, "POST", "/api/v1/stores", ops, {"id": sid, "name": sid, "city": "Shanghai", "lat": lat, "lng": lng})
        _call(base, "PUT", f"/api/v1/stores/{sid}/stock/SKU1", ops, {"quantity": stock * len(sales) + 100})
    now = datetime.now(UTC)
    out = {}
    for name, shards in sales.items():
        body = {"sku": "SKU1", "price_cents": 100, "starts_at": (now - timedelta(seconds=1)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(), "per_user_limit": 1000, "payment_timeout_s": 3600,
                "allocations": [{"store_id": s, "quantity": stock} for s in STORES], "shards": shards}
        out[name] = _call(base, "POST", "/api/v1/flash-sales", ops, body)["id"]
    return out


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="lc-bench-scale-"))
        self.signer = TokenSigner(BENCH_SECRET)
        self.ops = self.signer.mint(Role.OPS, "bench")
        self.tokens = self.work / "tokens.lua"
        self.tokens.write_text("return {\n" + ",\n".join(
            f'"{self.signer.mint(Role.VIEWER, f"u{i:06d}", nickname=f"b{i}")}"' for i in range(args.users)) + "\n}\n")
        self._n = 0

    def script(self, sale_id: str) -> Path:
        self._n += 1
        path = self.work / f"buy-{self._n}.lua"
        path.write_text(BUY_LUA % {"tokens": self.tokens, "path": f"/api/v1/flash-sales/{sale_id}/orders",
                                   "delay": "", "run": f"r{self._n}-"})
        return path

    def buy(self, name: str, srv: ServerProcess, sale_id: str, redis_pids: list[int] | None = None,
            duration: int | None = None) -> tuple[Result, float]:
        """One wrk phase; also the busiest Redis' CPU share (of one core) when its pids are given."""
        args = self.args if duration is None else argparse.Namespace(**{**vars(self.args), "duration": duration})
        before, t0 = _redis_cpu(redis_pids or []), time.monotonic()
        result = wrk(name, srv.base + "/", self.script(sale_id), args, srv.pid)
        spent = [b - a for a, b in zip(before, _redis_cpu(redis_pids or []), strict=True)]
        return result, (max(spent) / (time.monotonic() - t0) if spent else 0.0)

    def books(self, srv: ServerProcess, sale_id: str) -> bool:
        s = _call(srv.base, "GET", f"/api/v1/flash-sales/{sale_id}", self.ops)
        return bool(s["allocated"] == s["remaining"] + s["reserved"] + s["sold"] and s["remaining"] >= 0)


def _median(rows: list[tuple[Result, float]]) -> tuple[Result, float]:
    return sorted(rows, key=lambda r: r[0].rps)[len(rows) // 2]


def _ratio(a: list[tuple[Result, float]], b: list[tuple[Result, float]]) -> str:
    values = sorted(x[0].rps / y[0].rps for x, y in zip(a, b, strict=True))
    return f"{statistics.median(values):.2f}x (rounds: {', '.join(f'{v:.2f}' for v in values)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=400)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cluster-workers", type=int, default=2, help="serve processes in the shard phases")
    args = ap.parse_args()
    if shutil.which("wrk") is None or shutil.which("redis-cli") is None:
        print("bench_scale: needs wrk and redis-cli (apt-get install wrk redis-tools)", file=sys.stderr)
        return 2
    bench = Bench(args)
    stock = 1_000_000  # the most one allocation may hold
    procs: dict[str, list[tuple[Result, float]]] = {"1 process": [], "2 processes": []}
    shards: dict[str, list[tuple[Result, float]]] = {"hot sale, 1 shard": [], "hot sale, 3 shards": []}
    ok = True
    with ServerProcess() as one, ServerProcess(args=["--workers", "2"]) as two:
        sale1 = _seed(one.base, bench.ops, stock, {"a": 1})["a"]
        sale2 = _seed(two.base, bench.ops, stock, {"a": 1})["a"]
        for srv, sale in ((one, sale1), (two, sale2)):
            bench.buy("warm-up", srv, sale, duration=2)
        for _ in range(args.rounds):
            procs["1 process"].append(bench.buy("buy, serve --workers 1", one, sale1))
            procs["2 processes"].append(bench.buy("buy, serve --workers 2", two, sale2))
        ok &= bench.books(one, sale1) and bench.books(two, sale2)
    cluster = LocalCluster(bench.work / "cluster", nodes=3, replicas=0)
    cluster.start()
    try:
        redis_pids = [p.pid for p in cluster.procs.values()]
        env = {"REDIS_URL": cluster.url}
        with ServerProcess(env=env, args=["--workers", str(args.cluster_workers)]) as srv:
            sales = _seed(srv.base, bench.ops, stock, {"one": 1, "three": 3})
            for sale in sales.values():
                bench.buy("warm-up", srv, sale, duration=2)
            for _ in range(args.rounds):
                shards["hot sale, 1 shard"].append(bench.buy("hot sale, 1 shard", srv, sales["one"], redis_pids))
                shards["hot sale, 3 shards"].append(bench.buy("hot sale, 3 shards", srv, sales["three"], redis_pids))
            ok &= all(bench.books(srv, s) for s in sales.values())
    finally:
        cluster.stop()
    shutil.rmtree(bench.work, ignore_errors=True)

    print("| phase | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors | server CPU | busiest Redis |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, rows in {**procs, **shards}.items():
        r, hot = _median(rows)
        busiest = f"{hot:.0%}" if name.startswith("hot") else "(embedded)"
        print(r.row().replace("| ", f"| median of {len(rows)}: ", 1)[:-1] + f" {busiest} |")
    print()
    print(f"2 processes / 1 process         = {_ratio(procs['2 processes'], procs['1 process'])}")
    print(f"3 shards / 1 shard (req/s)      = {_ratio(shards['hot sale, 3 shards'], shards['hot sale, 1 shard'])}")
    one_hot = statistics.median(h for _, h in shards["hot sale, 1 shard"])
    three_hot = statistics.median(h for _, h in shards["hot sale, 3 shards"])
    per_1k = [(h / r.rps * 1000) for r, h in shards["hot sale, 1 shard"]]
    print(f"busiest master, 1 shard vs 3    = {one_hot:.0%} vs {three_hot:.0%} of a core "
          f"({statistics.median(per_1k):.1%} of a core per 1,000 buys/s on one master)")
    print("books balance in every sale:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
