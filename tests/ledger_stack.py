"""The real stack the ledger tests run on: the private Redis, a fresh database (SQLite or PostgreSQL),
the flash-sale core allocating from the inventory of record, and ledger workers on top. Nothing faked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from flash_sale import AllocationRequest, FlashSaleCore, LedgerWorker, LocalPaymentProvider, Pickup, SaleSpec
from flash_sale.errors import FlashSaleError
from flash_sale.reconcile import reconcile_sale
from flash_sale.sales import new_sale_id
from flash_sale.settlement import Settlement
from flash_sale.types import BuyRequest
from inventory import Inventory, Product, Store
from livecommerce.adapters import InventoryAllocator, InventoryLedger, InventorySettler
from tests.fakes import STORES

ON_HAND = 100_000
DEFAULT_STOCK = {"S1": 2000, "S2": 2000, "S3": 2000}


@dataclass
class LedgerStack:
    client: aioredis.Redis
    inventory: Inventory
    core: FlashSaleCore
    payments: LocalPaymentProvider
    ledger: InventoryLedger

    async def new_sale(self, stock: dict[str, int] | None = None, *, per_user_limit: int = 1,
                       payment_timeout_s: int = 300, lasts_s: float = 3600, shards: int = 1) -> str:
        now = datetime.now(UTC)
        spec = SaleSpec(
            id=new_sale_id(), sku="SKU1", price_cents=9900, starts_at=now - timedelta(seconds=1),
            ends_at=now + timedelta(seconds=lasts_s), per_user_limit=per_user_limit,
            payment_timeout_s=payment_timeout_s,
            allocations=tuple(AllocationRequest(s, q) for s, q in (stock or DEFAULT_STOCK).items()),
            created_by="host-alice", shards=shards,
        )
        await self.core.sales.create(spec)
        return spec.id

    def worker(self, name: str, **kw: Any) -> LedgerWorker:
        kw.setdefault("idle_s", 0.01)
        return LedgerWorker(self.client, self.ledger, consumer=name, **kw)

    def settlement(self) -> Settlement:
        return Settlement(self.core.sales, InventorySettler(self.inventory))

    async def redis_statuses(self, sale_id: str) -> dict[str, str]:
        from flash_sale._records import parse_order

        raw = await self.client.hgetall(f"{{fs:{sale_id}}}:orders")
        return {k: parse_order(v)["status"] for k, v in raw.items()}


async def assert_ledger_matches(stack: LedgerStack, sale_id: str, acked: Mapping[str, str]) -> None:
    """Redis agrees with the ledger, and every order acknowledged to a caller is there as acknowledged."""
    check = await reconcile_sale(stack.client, stack.ledger, sale_id)
    assert check.ok, "\n".join(check.lines())
    ledger = await stack.ledger.order_statuses(sale_id)
    wrong = {o: (s, ledger.get(o)) for o, s in acked.items() if ledger.get(o) != s}
    assert not wrong, f"{len(wrong)} acknowledged orders differ in the ledger, e.g. {list(wrong.items())[:5]}"


@asynccontextmanager
async def ledger_stack(
    redis_client: aioredis.Redis, database_url: str, **core_options: Any
) -> AsyncIterator[LedgerStack]:
    inv = Inventory(database_url)
    await inv.start()
    for sid, (lat, lng) in STORES.items():
        await inv.create_store(Store(sid, f"Store {sid}", "Shanghai", lat, lng))
    await inv.create_product(Product("SKU1", "Silk scarf", 19900))
    for sid in STORES:
        await inv.set_on_hand(sid, "SKU1", ON_HAND)
    payments = LocalPaymentProvider()
    core = FlashSaleCore(redis_client, InventoryAllocator(inv), payments, buy_rate_per_s=1_000_000,
                         run_sweeper=False, **core_options)
    await core.start()
    try:
        yield LedgerStack(redis_client, inv, core, payments, InventoryLedger(inv))
    finally:
        await core.stop()
        await inv.stop()


async def storm(core: FlashSaleCore, sale_id: str, n: int, *, first: int = 0, pay_every: int = 3,
                cancel_every: int = 7, concurrency: int = 300, retry: bool = False) -> dict[str, str]:
    """``n`` buyers each buy one unit; every ``pay_every``-th pays, every ``cancel_every``-th cancels.

    Returns order_id -> status for every call that got a success reply. With ``retry``, a call that
    failed for want of Redis is repeated (same idempotency key) until it gets an answer.
    """
    gate = asyncio.Semaphore(concurrency)
    acked: dict[str, str] = {}

    async def attempt(call: Any) -> Any:
        while True:
            try:
                return await call()
            except FlashSaleError:
                raise
            except Exception:
                if not retry:
                    raise
                await asyncio.sleep(0.05)

    async def buyer(i: int) -> None:
        user = f"u{i}"
        async with gate:
            try:
                req = BuyRequest(sale_id, user, f"k{i}", 1, Pickup(("S1", "S2", "S3")[i % 3]))
                order = (await attempt(lambda: core.orders.buy(req))).order
                acked[order["order_id"]] = order["status"]
                if i % pay_every == 0:
                    paid = await attempt(lambda: core.orders.pay(order["order_id"], user))
                    acked[order["order_id"]] = paid["status"]
                elif i % cancel_every == 0:
                    done = await attempt(lambda: core.orders.cancel(order["order_id"], user))
                    acked[order["order_id"]] = done["status"]
            except FlashSaleError:
                pass
            except Exception:
                if retry:
                    raise

    await asyncio.gather(*(buyer(i) for i in range(first, first + n)))
    return acked


async def wait_until(condition: Any, timeout_s: float = 10.0, every_s: float = 0.05) -> None:
    """Poll an async ``condition()`` until it is true; fail after ``timeout_s``."""
    for _ in range(int(timeout_s / every_s)):
        if await condition():
            return
        await asyncio.sleep(every_s)
    raise AssertionError(f"condition not met within {timeout_s} s")
