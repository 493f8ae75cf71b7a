"""Fixtures for the core: a FlashSaleCore on the private Redis, and a sale factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from flash_sale import AllocationRequest, FlashSaleCore, LocalPaymentProvider, SaleSpec
from flash_sale.sales import new_sale_id
from tests.fakes import MemoryAllocator

MakeSale = Callable[..., Awaitable[str]]


@pytest.fixture
def allocator() -> MemoryAllocator:
    return MemoryAllocator()


@pytest.fixture
def payments() -> LocalPaymentProvider:
    return LocalPaymentProvider()


@pytest.fixture
async def core(
    redis_client: aioredis.Redis, allocator: MemoryAllocator, payments: LocalPaymentProvider
) -> AsyncIterator[FlashSaleCore]:
    core = FlashSaleCore(redis_client, allocator, payments, buy_rate_per_s=1000, run_sweeper=False)
    await core.start()
    yield core
    await core.stop()


@pytest.fixture
def make_sale(core: FlashSaleCore) -> MakeSale:
    async def make(
        stock: dict[str, int] | None = None,
        per_user_limit: int = 1,
        payment_timeout_s: int = 60,
        starts_in_s: float = -1,
        lasts_s: float = 3600,
        shards: int = 1,
    ) -> str:
        now = datetime.now(UTC)
        spec = SaleSpec(
            id=new_sale_id(),
            sku="SKU1",
            price_cents=9900,
            starts_at=now + timedelta(seconds=starts_in_s),
            ends_at=now + timedelta(seconds=starts_in_s + lasts_s),
            per_user_limit=per_user_limit,
            payment_timeout_s=payment_timeout_s,
            allocations=tuple(AllocationRequest(s, q) for s, q in (stock or {"S1": 100}).items()),
            created_by="host1",
            shards=shards,
        )
        await core.sales.create(spec)
        return spec.id

    return make
