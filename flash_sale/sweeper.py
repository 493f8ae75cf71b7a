"""Returns the stock of unpaid reservations once their payment deadline passes.

Every process runs one; the expire script makes any number of concurrent sweepers safe
(each order flips from 'reserved' exactly once, inside Redis).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from flash_sale.metrics import EXPIRED
from flash_sale.orders import OrderDesk
from flash_sale.sales import SaleBook
from flash_sale.tasks import cancel_and_wait, reraise_if_cancelling

__all__ = ["ExpirySweeper"]

log = logging.getLogger(__name__)


class ExpirySweeper:
    def __init__(
        self,
        sales: SaleBook,
        orders: OrderDesk,
        interval_s: float = 0.5,
        batch: int = 500,
        on_expired: Callable[[str, int, int], Awaitable[None]] | None = None,
    ) -> None:
        self._sales = sales
        self._orders = orders
        self._interval = interval_s
        self._batch = batch
        self._on_expired = on_expired
        self._task: asyncio.Task[None] | None = None
        self.expired_orders = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="expiry-sweeper")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def sweep_once(self) -> int:
        """One pass over every active sale; returns the number of orders expired."""
        total = 0
        for sale_id in await self._sales.active_ids():
            while True:
                n, units, remaining = await self._orders.expire_due(sale_id, self._batch)
                total += n
                if n and self._on_expired is not None:
                    await self._on_expired(sale_id, units, remaining)
                if n < self._batch:
                    break
        self.expired_orders += total
        if total:
            EXPIRED.inc(total)
        return total

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep sweeping through a Redis restart
                reraise_if_cancelling()  # redis-py may turn a cancellation into ConnectionError
                log.warning("expiry sweep failed: %r", exc)
            await asyncio.sleep(self._interval)
