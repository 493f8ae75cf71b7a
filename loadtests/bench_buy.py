"""Benchmark of the buy path, against a trivial JSON endpoint of the same server, in one run.

Load comes from ``wrk`` (Debian package ``wrk``) in a separate process on 127.0.0.1; the server is
a real ``livecommerce serve`` with its embedded Redis. Phases, each ``--duration`` seconds at
``--connections`` connections:

1. ``GET /api/v1/time``                      the trivial JSON baseline (saturation)
2. ``POST .../orders`` while stock lasts     every request a new order (saturation)
3. ``POST .../orders`` after sell-out        answered from the in-process sold-out flag
4. both again, paced (each connection waits ``--pace-ms`` between requests): latency at a
   fixed, sustainable load rather than at saturation.

Then it checks the books of the sale (allocated = remaining + reserved + sold) and that the
number of orders equals the 2xx answers wrk counted. Bounded in time; 127.0.0.1 only.

    .venv/bin/python loadtests/bench_buy.py [--duration 8] [--connections 500] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livecommerce.web.auth import Role, TokenSigner  # noqa: E402
from loadtests._server import BENCH_SECRET, ServerProcess  # noqa: E402

STORES = {"S1": (31.2353, 121.4747), "S2": (31.2304, 121.4451), "S3": (31.1886, 121.4394)}

LOGIN_LUA = r"""
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/auth/viewer", {["Content-Type"] = "application/json"},
    '{"openid":"oid-' .. counter .. '","nickname":"buyer"}')
end
"""

BUY_LUA = r"""
local tokens = dofile("%(tokens)s")
local n = #tokens
local path = "%(path)s"
local stores = {"S1", "S2", "S3"}
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  counter = counter + 1
  local t = tid or 0
  local i = counter * 7 + t
  local body
  if counter %% 2 == 0 then
    body = '{"quantity":1,"fulfillment":{"type":"pickup","store_id":"' .. stores[(counter %% 3) + 1] .. '"}}'
  else
    body = '{"quantity":1,"fulfillment":{"type":"delivery","address":{"text":"Nanjing Rd","lat":31.2' ..
      (counter %% 9) .. ',"lng":121.4' .. (counter %% 7) .. '}}}'
  end
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. tokens[(i %% n) + 1],
    ["Idempotency-Key"] = "%(run)s" .. t .. "-" .. counter,
    ["Content-Type"] = "application/json"}, body)
end
%(delay)s
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int
    server_cpu: float

    def row(self) -> str:
        return (f"| {self.name} | {self.rps:,.0f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} | {self.requests:,} "
                f"| {self.non_2xx:,} | {self.errors} | {self.server_cpu:.0%} |")


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _cpu_seconds(pid: int) -> float:
    """CPU time of the server and its children (the embedded redis-server)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def wrk(name: str, url: str, script: Path | None, args: argparse.Namespace, pid: int) -> Result:
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
           "--timeout", "5s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    cpu0, t0 = _cpu_seconds(pid), time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60).stdout
    cpu = (_cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    reqs = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50(?:\.0+)?%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99(?:\.0+)?%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errs = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errs = sum(int(x) for x in m.groups())
    return Result(name, rps, p50, p99, reqs, non2xx, errs, cpu)


def _call(base: str, method: str, path: str, token: str, body: object | None = None) -> dict:
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def seed(base: str, ops: str, big: int) -> tuple[str, str]:
    _call(base, "POST", "/api/v1/products", ops, {"sku": "SKU1", "name": "Scarf", "price_cents": 100})
    for sid, (lat, lng) in STORES.items():
        _call(base, "POST", "/api/v1/stores", ops, {"id": sid, "name": sid, "city": "Shanghai", "lat": lat, "lng": lng})
        _call(base, "PUT", f"/api/v1/stores/{sid}/stock/SKU1", ops, {"quantity": big + 100})
    now = datetime.now(UTC)
    sale = {"sku": "SKU1", "price_cents": 100, "starts_at": (now - timedelta(seconds=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "per_user_limit": 1000, "payment_timeout_s": 3600}
    a = _call(base, "POST", "/api/v1/flash-sales", ops,
              {**sale, "allocations": [{"store_id": s, "quantity": big} for s in STORES]})
    b = _call(base, "POST", "/api/v1/flash-sales", ops,
              {**sale, "allocations": [{"store_id": s, "quantity": 10} for s in STORES]})
    return a["id"], b["id"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--pace-ms", type=int, default=100, help="per-connection pause in the paced phases")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("bench_buy: needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    signer = TokenSigner(BENCH_SECRET)
    work = Path(tempfile.mkdtemp(prefix="lc-bench-buy-"))
    tokens = work / "tokens.lua"
    tokens.write_text("return {\n" + ",\n".join(
        f'"{signer.mint(Role.VIEWER, f"u{i:06d}", nickname=f"buyer{i}")}"' for i in range(args.users)) + "\n}\n")
    rounds: list[dict[str, Result]] = []
    with ServerProcess() as srv:
        ops = signer.mint(Role.OPS, "bench")
        big_sale, small_sale = seed(srv.base, ops, big=1_000_000)

        def script(sale_id: str, paced: bool, run: str) -> Path:
            path = work / f"buy-{sale_id}-{run}.lua"
            delay = f"function delay() return {args.pace_ms} end" if paced else ""
            path.write_text(BUY_LUA % {"tokens": tokens, "path": f"/api/v1/flash-sales/{sale_id}/orders",
                                       "delay": delay, "run": run})
            return path

        pace = work / "pace.lua"
        pace.write_text(f"function delay() return {args.pace_ms} end\n")
        login = work / "login.lua"
        login.write_text(LOGIN_LUA)
        time_url, any_url = srv.base + "/api/v1/time", srv.base + "/"
        # warm-up: token cache, connection pools, the scripts, the sold-out mark
        short = argparse.Namespace(**{**vars(args), "duration": 2})
        wrk("warm-up", time_url, None, short, srv.pid)
        wrk("warm-up", any_url, script(small_sale, False, "w"), short, srv.pid)
        for n in range(args.rounds):
            # interleaved phases, so drift in the machine hits every phase alike
            phases = {
                "trivial GET": wrk("trivial JSON GET (/api/v1/time)", time_url, None, args, srv.pid),
                "trivial POST": wrk("trivial JSON POST (viewer login)", any_url, login, args, srv.pid),
                "buy": wrk("buy while stock lasts", any_url, script(big_sale, False, f"b{n}"), args, srv.pid),
                "sold out": wrk("buy after sell-out", any_url, script(small_sale, False, f"s{n}"), args, srv.pid),
            }
            rounds.append(phases)
        paced = [
            wrk(f"trivial JSON GET, paced {args.pace_ms} ms", time_url, pace, args, srv.pid),
            wrk(f"buy while stock lasts, paced {args.pace_ms} ms", any_url, script(big_sale, True, "p"), args,
                srv.pid),
        ]
        state = _call(srv.base, "GET", f"/api/v1/flash-sales/{big_sale}", ops)
        small = _call(srv.base, "GET", f"/api/v1/flash-sales/{small_sale}", ops)
    shutil.rmtree(srv.data_dir, ignore_errors=True)
    results = [r for phases in rounds for r in phases.values()] + paced

    ok_orders = sum(r.requests - r.non_2xx for r in results if r.name.startswith("buy while"))
    books = state["allocated"] == state["remaining"] + state["reserved"] + state["sold"]
    small_books = small["remaining"] == 0 and small["reserved"] == small["allocated"]
    header = ("| phase | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors | server+redis CPU |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|")
    print(header)
    for phase in rounds[0]:
        runs = sorted((r[phase] for r in rounds), key=lambda r: r.rps)
        print(runs[len(runs) // 2].row().replace("| ", f"| median of {len(runs)}: ", 1))
    for r in paced:
        print(r.row())
    print()

    def ratio(a: str, b: str) -> str:
        values = sorted(r[a].rps / r[b].rps for r in rounds)
        return f"{statistics.median(values):.2f}x (rounds: {', '.join(f'{v:.2f}' for v in values)})"

    print(f"buy / trivial POST            = {ratio('buy', 'trivial POST')}   target >= 0.70")
    print(f"after sell-out / trivial POST = {ratio('sold out', 'trivial POST')}   target >= 0.90")
    print(f"buy / trivial GET             = {ratio('buy', 'trivial GET')}")
    print(f"after sell-out / trivial GET  = {ratio('sold out', 'trivial GET')}")
    print(f"orders in Redis: {state['reserved'] + state['sold']:,}; 2xx answers counted by wrk: {ok_orders:,}")
    print(f"books balance (allocated = remaining + reserved + sold): {books}; small sale sold out exactly: "
          f"{small_books}")
    # requests still in flight when wrk stops are decided by the server but not counted by wrk
    in_flight = state["reserved"] + state["sold"] - ok_orders
    consistent = books and small_books and 0 <= in_flight <= args.connections * (args.rounds + 1)
    print("invariants:", "OK" if consistent else "FAILED")
    return 0 if consistent else 1


if __name__ == "__main__":
    raise SystemExit(main())
