"""Benchmark of the order ledger: a 20,000-order burst through the core, into SQLite and PostgreSQL.

A private redis-server (unix socket, AOF everysec, in a temp dir) is started as ``serve`` would
start it; the flash-sale core runs in this process (coalesced buy scripts, distinct buyers, one unit
each, pickup over three stores); the ledger runs as a real ``livecommerce worker --data-dir D``
process. For each database, two phases:

1. burst: the worker is running; the burst is produced as fast as the core takes it. Measured: the
   core's production rate, the ledger's rate over the burst, and the time for the lag (XINFO GROUPS
   lag + pending) to return to zero after the burst's last order (target <= 2 s).
2. backlog: a second burst is produced with no worker; then a worker starts and drains it.
   Measured: orders/s from the worker's ready line to zero lag (its start-up excluded).

Then ``livecommerce verify`` checks the books. PostgreSQL: a temporary database on 127.0.0.1:5432
(created and dropped; admin DSN from ``LC_TEST_PG``, default ``postgresql://postgres@127.0.0.1:5432/test``).
Bounded: every wait has a deadline.

    .venv/bin/python loadtests/bench_ledger.py [--orders 20000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402

from flash_sale import AllocationRequest, FlashSaleCore, LocalPaymentProvider, Pickup, SaleSpec  # noqa: E402
from flash_sale._stream_group import stream_key  # noqa: E402
from flash_sale.sales import new_sale_id  # noqa: E402
from flash_sale.types import BuyRequest  # noqa: E402
from inventory import Inventory, Product, Store  # noqa: E402
from livecommerce.adapters import InventoryAllocator  # noqa: E402
from livecommerce.embedded_redis import EmbeddedRedis  # noqa: E402
from livecommerce.redis_client import connect_redis

STORES = {"S1": (31.2353, 121.4747), "S2": (31.2304, 121.4451), "S3": (31.1886, 121.4394)}
PG_ADMIN = os.environ.get("LC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Figures:
    database: str
    produced_per_s: float
    ledger_burst_per_s: float
    lag_zero_after_s: float
    backlog_per_s: float
    verify_ok: bool

    def row(self) -> str:
        return (f"| {self.database} | {self.produced_per_s:,.0f} | {self.ledger_burst_per_s:,.0f} | "
                f"{self.lag_zero_after_s:.2f} | {self.backlog_per_s:,.0f} | {'OK' if self.verify_ok else 'FAIL'} |")


class Worker:
    """``livecommerce worker --data-dir D`` as a child process; ready once it prints its line."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self._args = [sys.executable, "-m", "livecommerce", "worker", "--data-dir", str(data_dir)]
        self._env = {**os.environ, "DATABASE_URL": database_url}
        self._env.pop("REDIS_URL", None)
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Worker:
        self.proc = await asyncio.create_subprocess_exec(*self._args, env=self._env, cwd=REPO,
                                                         stderr=asyncio.subprocess.PIPE)
        line = await asyncio.wait_for(self.proc.stderr.readline(), 60)  # type: ignore[union-attr]
        if b"running" not in line:
            raise RuntimeError(f"worker did not start: {line!r}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 30)


async def backlog(client: aioredis.Redis, sale_id: str) -> int:
    for g in await client.xinfo_groups(stream_key(sale_id)):
        if g["name"] == "ledger":
            return int(g["lag"] if g["lag"] is not None else 10**9) + int(g["pending"])
    return int(await client.xlen(stream_key(sale_id)))


async def until_caught_up(client: aioredis.Redis, sale_id: str, timeout_s: float = 180) -> float:
    deadline = time.monotonic() + timeout_s
    while await backlog(client, sale_id):
        if time.monotonic() > deadline:
            raise TimeoutError(f"ledger still behind after {timeout_s} s")
        await asyncio.sleep(0.01)
    return time.monotonic()


async def new_sale(core: FlashSaleCore, orders: int) -> str:
    now = datetime.now(UTC)
    per_store = orders // len(STORES) + 1
    spec = SaleSpec(id=new_sale_id(), sku="SKU1", price_cents=9900, starts_at=now - timedelta(seconds=1),
                    ends_at=now + timedelta(hours=1), per_user_limit=1, payment_timeout_s=600,
                    allocations=tuple(AllocationRequest(s, per_store) for s in STORES), created_by="bench")
    await core.sales.create(spec)
    return spec.id


async def burst(core: FlashSaleCore, sale_id: str, orders: int, concurrency: int = 2000) -> float:
    """Buy ``orders`` units as distinct buyers; returns the seconds it took."""
    gate = asyncio.Semaphore(concurrency)
    stores = list(STORES)

    async def buy(i: int) -> None:
        async with gate:
            await core.orders.buy(BuyRequest(sale_id, f"b{i}", f"k{i}", 1, Pickup(stores[i % 3]), "buyer"))

    started = time.monotonic()
    await asyncio.gather(*(buy(i) for i in range(orders)))
    return time.monotonic() - started


async def run_one(name: str, database_url: str, orders: int) -> Figures:
    data_dir = Path(tempfile.mkdtemp(prefix="lc-bench-ledger-"))
    redis_server = EmbeddedRedis(data_dir)
    await redis_server.start()  # writes <data_dir>/redis.url, as serve does
    client = connect_redis(redis_server.url)
    inv = Inventory(database_url)
    await inv.start()
    core = FlashSaleCore(client, InventoryAllocator(inv), LocalPaymentProvider(), buy_rate_per_s=10**6,
                         run_sweeper=False)
    try:
        await inv.create_product(Product("SKU1", "Scarf", 9900))
        for sid, (lat, lng) in STORES.items():
            await inv.create_store(Store(sid, sid, "Shanghai", lat, lng))
            await inv.set_on_hand(sid, "SKU1", orders * 2)
        await core.start()
        first, second = await new_sale(core, orders), await new_sale(core, orders)
        async with Worker(data_dir, database_url):
            started = time.monotonic()
            took = await burst(core, first, orders)
            caught_up = await until_caught_up(client, first)
        after = caught_up - (started + took)
        await burst(core, second, orders)
        async with Worker(data_dir, database_url):
            ready = time.monotonic()
            drained = await until_caught_up(client, second)
        verify = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "livecommerce", "verify", "--data-dir", str(data_dir), "--wait", "30"],
            env={**os.environ, "DATABASE_URL": database_url}, cwd=REPO, capture_output=True, text=True,
            timeout=300)
        if verify.returncode:
            print(verify.stdout[-2000:], file=sys.stderr)
        return Figures(name, orders / took, orders / (caught_up - started), after, orders / (drained - ready),
                       verify.returncode == 0)
    finally:
        await core.stop()
        await inv.stop()
        await client.aclose()
        await redis_server.stop()


async def with_postgres(orders: int) -> Figures:
    name = "lc_bench_" + uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        return await run_one("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + "/" + name, orders)
    finally:
        admin = await asyncpg.connect(PG_ADMIN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def main_async(args: argparse.Namespace) -> int:
    results = [await run_one("SQLite", f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/ledger.db", args.orders)]
    if not args.skip_postgres:
        results.append(await with_postgres(args.orders))
    print(f"\n{args.orders:,}-order bursts; ledger = one `livecommerce worker` process, batches of 1000\n")
    print("| database | core produced (orders/s) | ledger during burst (orders/s) | lag -> 0 after burst (s) "
          "| backlog drain (orders/s) | verify |")
    print("|---|---:|---:|---:|---:|---|")
    for r in results:
        print(r.row())
    return 0 if all(r.verify_ok and r.lag_zero_after_s <= 2.0 for r in results) else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--skip-postgres", action="store_true")
    return asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
