"""What the HTTP metrics middleware costs per request, in CPU time, against the handler alone.

The end-to-end buy benchmark (bench_buy.py) swings by more than the middleware's cost when the
machine is shared, so this one measures the middleware where it runs: the same resolved buy-route
request answered by a trivial handler, with and without the middleware, interleaved rounds of
process CPU time. The overhead is then read against the server CPU one buy costs (bench_buy's
saturated figure: ~10,000 buys/s on one core, ~100 us each).

    .venv/bin/python loadtests/bench_http_metrics.py [--calls 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web  # noqa: E402
from aiohttp.test_utils import make_mocked_request  # noqa: E402

from livecommerce.observability.http_metrics import metrics_middleware  # noqa: E402

BUY_CPU_US = 100.0  # server CPU per buy at saturation (bench_buy: ~10k buys/s on one core)


async def _run(calls: int, rounds: int) -> tuple[list[float], list[float]]:
    app = web.Application()
    answer = web.Response(status=201, body=b"{}", content_type="application/json")

    async def handler(request: web.Request) -> web.Response:
        return answer

    app.router.add_post("/api/v1/flash-sales/{sale_id}/orders", handler)
    req = make_mocked_request("POST", "/api/v1/flash-sales/abc123def456/orders", app=app)
    match = await app.router.resolve(req)
    req._match_info = match  # noqa: SLF001 - what aiohttp's request handler does before the middlewares
    bare, wrapped = [], []
    for _ in range(rounds):
        t = time.process_time()
        for _ in range(calls):
            await handler(req)
        bare.append((time.process_time() - t) / calls * 1e6)
        t = time.process_time()
        for _ in range(calls):
            await metrics_middleware(req, handler)
        wrapped.append((time.process_time() - t) / calls * 1e6)
    return bare, wrapped


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    bare, wrapped = asyncio.run(_run(args.calls, args.rounds))
    overhead = [w - b for b, w in zip(bare, wrapped, strict=True)]
    med = statistics.median(overhead)
    print("| measure | median us per request (rounds) |\n|---|---|")
    print(f"| handler alone | {statistics.median(bare):.2f} ({', '.join(f'{x:.2f}' for x in bare)}) |")
    print(f"| handler behind the metrics middleware | {statistics.median(wrapped):.2f} "
          f"({', '.join(f'{x:.2f}' for x in wrapped)}) |")
    print(f"| middleware overhead | **{med:.2f}** ({', '.join(f'{x:.2f}' for x in overhead)}) |")
    print(f"\noverhead / server CPU of one buy (~{BUY_CPU_US:.0f} us) = {med / BUY_CPU_US:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
