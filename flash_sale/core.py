"""The flash-sale core: one owner for the scripts, the buy coalescer, the sold-out memory,
the expiry sweeper and the restock listener of this process."""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis

from flash_sale.coalescer import Coalescer
from flash_sale.durability import DurabilityPolicy
from flash_sale.orders import RESTOCK_CHANNEL, OrderDesk
from flash_sale.rebalance import Rebalancer
from flash_sale.sales import SaleBook
from flash_sale.scripts import ScriptRegistry
from flash_sale.soldout import SoldOutCache
from flash_sale.sweeper import ExpirySweeper
from flash_sale.tasks import cancel_and_wait, reraise_if_cancelling
from flash_sale.types import PaymentProvider, StockAllocator

__all__ = ["FlashSaleCore"]

log = logging.getLogger(__name__)


class FlashSaleCore:
    """``start()`` loads the scripts and starts the background tasks; ``stop()`` ends them."""

    def __init__(
        self,
        client: aioredis.Redis,
        allocator: StockAllocator,
        payments: PaymentProvider,
        *,
        buy_rate_per_s: int = 10,
        sweep_interval_s: float = 0.5,
        run_sweeper: bool = True,
        durability: DurabilityPolicy | None = None,
    ) -> None:
        self.client = client
        self.scripts = ScriptRegistry()
        self.payments = payments
        self.sold_out = SoldOutCache()
        self.buyer = Coalescer(client, self.scripts.all(), durability=durability)
        self.sales = SaleBook(client, self.scripts, allocator, buy_rate_per_s,
                              rebalancer=Rebalancer(client, self.scripts, self.buyer.run))
        self.orders = OrderDesk(client, self.scripts, self.buyer, self.sold_out, payments,
                                self.sales.layout, self.sales.rebalancer)
        self.sweeper = ExpirySweeper(self.sales, self.orders, sweep_interval_s)
        self._run_sweeper = run_sweeper
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.scripts.load_all(self.client)
        await self.buyer.start()
        if self._run_sweeper:
            await self.sweeper.start()
        subscribed = asyncio.Event()
        self._listener = asyncio.create_task(self._listen_restock(subscribed), name="restock-listener")
        await asyncio.wait_for(subscribed.wait(), 10)

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        await cancel_and_wait(listener)
        await self.sweeper.stop()
        await self.buyer.stop()

    async def _listen_restock(self, subscribed: asyncio.Event) -> None:
        """Drop sold-out marks when any process returns stock to a sale."""
        while True:
            try:
                async with self.client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(RESTOCK_CHANNEL)
                    subscribed.set()
                    async for message in pubsub.listen():
                        self.sold_out.clear(str(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect after a Redis restart
                reraise_if_cancelling()  # redis-py may turn a cancellation into ConnectionError
                log.warning("restock listener lost Redis: %r", exc)
                self.sold_out.clear_all()  # a restock may have been missed while disconnected
                await asyncio.sleep(0.5)
