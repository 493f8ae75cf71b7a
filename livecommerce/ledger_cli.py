"""``livecommerce worker`` and ``livecommerce verify``: the ledger outside ``serve``.

Both find Redis as ``serve`` left it: ``<data-dir>/redis.url`` (written by the embedded Redis of a
running ``serve``) when ``--data-dir`` is given and the file exists, else ``REDIS_URL``. The
database is ``DATABASE_URL``, else the data dir's SQLite file.

``verify`` first drains the sales' streams itself, with its own consumer of the same group and the
same idempotent writes as the worker (and reclaims what a dead worker left pending after 1 s), so a
lagging or dead worker is not reported as a difference; differences are re-checked after another
drain until ``--wait`` runs out, so orders bought while it runs are not reported either. It never
changes a sale in Redis.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TextIO

import prometheus_client
import redis.asyncio as aioredis

from flash_sale._stream_group import members
from flash_sale.keys import ACTIVE_SALES, sale_keys
from flash_sale.layout import SaleLayout
from flash_sale.ledger_worker import LedgerWorker, default_consumer_name
from flash_sale.reconcile import SaleReconciliation, reconcile_sale
from flash_sale.sales import SaleBook
from flash_sale.scripts import ScriptRegistry
from flash_sale.settlement import Settlement
from inventory import Inventory, resolve_database_url
from livecommerce.adapters import InventoryAllocator, InventoryLedger, InventorySettler
from livecommerce.redis_client import connect_redis

__all__ = ["locate", "run_verify", "run_worker"]

log = logging.getLogger(__name__)


def locate(data_dir: str | None) -> tuple[str | None, str]:
    """(redis url or None, database url) for a tool started beside ``serve``."""
    redis_url = None
    if data_dir is not None:
        url_file = Path(data_dir) / "redis.url"
        if url_file.exists():
            redis_url = url_file.read_text().strip()
    redis_url = redis_url or os.environ.get("REDIS_URL") or None
    base = Path(data_dir or os.environ.get("LC_DATA_DIR") or "./data").resolve()
    return redis_url, resolve_database_url(os.environ.get("DATABASE_URL"), base)


async def run_worker(redis_url: str, database_url: str, *, claim_idle_s: float = 5.0, batch: int = 1000,
                     metrics_port: int | None = None) -> int:
    """Run one ledger worker (with settlement) until SIGTERM or SIGINT; ``lc_ledger_lag`` on
    ``http://127.0.0.1:<metrics_port>/metrics`` when a port is given."""
    client = connect_redis(redis_url)
    inv = Inventory(database_url)
    await inv.start()
    sales = SaleBook(client, ScriptRegistry(), InventoryAllocator(inv), buy_rate_per_s=10)
    settlement = Settlement(sales, InventorySettler(inv))
    worker = LedgerWorker(client, InventoryLedger(inv), on_housekeeping=settlement.check,
                          claim_idle_ms=int(claim_idle_s * 1000), batch=batch, registry=prometheus_client.REGISTRY)
    if metrics_port is not None:
        prometheus_client.start_http_server(metrics_port, addr="127.0.0.1")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await worker.start()
    print(f"ledger worker {worker.group.name} running", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await worker.stop()
        await inv.stop()
        await client.aclose()
    return 0


async def _sales_to_check(client: aioredis.Redis, inv: Inventory, only: str | None) -> tuple[list[str], set[str]]:
    records = await inv.list_sales()
    settled = {r.id for r in records if r.settled_at is not None}
    if only is not None:
        return [only], settled
    return sorted(set(await members(client, ACTIVE_SALES)) | {r.id for r in records}), settled


async def run_verify(redis_url: str, database_url: str, *, sale: str | None = None, wait_s: float = 15.0,
                     out: TextIO | None = None) -> int:
    """Reconcile every sale (or one); print a report; 0 when the books agree, 1 otherwise."""
    client = connect_redis(redis_url)
    inv = Inventory(database_url)
    await inv.start()
    try:
        ledger = InventoryLedger(inv)
        wanted, settled = await _sales_to_check(client, inv, sale)
        in_redis = [s for s in wanted if await client.exists(sale_keys(s)[0])]
        gone = [s for s in wanted if s not in in_redis]
        worker = LedgerWorker(client, ledger, consumer=f"verify:{default_consumer_name()}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        drained = await worker.drain(in_redis, timeout_s=wait_s)
        results = {s: await reconcile_sale(client, ledger, s) for s in in_redis}
        while any(not r.ok for r in results.values()) and loop.time() < deadline:
            await asyncio.sleep(0.2)  # maybe only lag: drain again, look again
            await worker.drain(in_redis, timeout_s=max(0.1, deadline - loop.time()))
            for s, r in list(results.items()):
                if not r.ok:
                    results[s] = await reconcile_sale(client, ledger, s)
        for s in await SaleLayout(client).expand(in_redis):
            await worker.group.retire(s)
        return _report(results, gone, settled, drained, out or sys.stdout)
    finally:
        await inv.stop()
        await client.aclose()


def _report(results: dict[str, SaleReconciliation], gone: list[str], settled: set[str], drained: bool,
            out: TextIO) -> int:
    failed = [r for r in results.values() if not r.ok]
    for r in results.values():
        print("\n".join(r.lines()), file=out)
    missing = [s for s in gone if s not in settled]
    for s in gone:
        note = "settled; its Redis keys are gone, ledger only" if s in settled else "FAIL  not in Redis"
        print(f"sale {s}  {note}", file=out)
    if not drained:
        print("warning: the ledger still had unacknowledged stream entries when the wait ran out", file=out)
    bad = len(failed) + len(missing)
    print(f"verify: {len(results) + len(gone)} sales checked, {bad} with differences", file=out)
    return 1 if bad else 0
