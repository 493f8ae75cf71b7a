"""Settlement: a finished sale's unsold units go back to each store's on-hand, once.

A sale is finished when it has ended (``ends_at`` passed, or closed) and holds no reservation:
from then on no script can change its buckets (no buy is accepted, and pay, cancel and expiry
only act on reserved orders), so the remaining-by-store read then is final. The inventory of
record returns those units exactly once (its own conditional update decides between racing
settlers); the sale is then marked ``settled`` in Redis, and leaves the active set only once the
ledger has acknowledged its whole stream, so no worker stops reading it early.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal, Protocol

from flash_sale.errors import SaleNotFound
from flash_sale.sales import SaleBook

__all__ = ["SaleSettler", "Settlement"]

log = logging.getLogger(__name__)

Outcome = Literal["open", "settled", "retired", "unknown"]


class SaleSettler(Protocol):
    """What settlement needs from the inventory of record (declared here, by the consumer)."""

    async def settle(self, sale_id: str, unsold_by_store: Mapping[str, int]) -> bool:
        """Return the unsold units to on-hand once; False when the sale was settled already."""
        ...


class Settlement:
    def __init__(self, sales: SaleBook, settler: SaleSettler) -> None:
        self._sales = sales
        self._settler = settler
        self.settled = 0

    async def check(self, sale_id: str, drained: Callable[[], Awaitable[bool]]) -> Outcome:
        """Settle ``sale_id`` if it is finished, and retire it once ``drained()`` says the ledger has it all."""
        try:
            snap = await self._sales.snapshot(sale_id)
            if snap.status == "ended" and not snap.reserved and await self._sales.recover(sale_id):
                snap = await self._sales.snapshot(sale_id)  # a hot sale's interrupted transfers, finished
        except SaleNotFound:
            log.warning("active sale %s is not in Redis; leaving it to an operator", sale_id)
            return "unknown"
        if snap.meta.get("state") != "settled":
            if snap.status != "ended" or snap.reserved:
                return "open"
            if await self._settler.settle(sale_id, snap.remaining_by_store):
                self.settled += 1
                log.info("settled sale %s: %d unsold units returned", sale_id, snap.remaining)
            await self._sales.close(sale_id, "settled")
        if not await drained():
            return "settled"
        await self._sales.retire(sale_id)
        return "retired"
