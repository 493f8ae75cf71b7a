"""A local stand-in for the payment provider, behind the interface the real one implements.

The real provider (WeChat Pay JSAPI) cannot run here. This one approves every charge and keeps
a ledger of charges and refunds so tests can prove nobody is charged twice for one order. Like
the real one (whose ``out_trade_no`` is unique per merchant), it is idempotent per order: a second
charge for an order whose charge stands returns that charge, so a retry after a lost reply (Redis
restarting between the charge and the confirmation) never charges twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

__all__ = ["LocalPaymentProvider"]


class LocalPaymentProvider:
    def __init__(self, latency_s: float = 0.0) -> None:
        self._latency = latency_s
        self.charges: dict[str, tuple[str, str, int]] = {}
        self.refunds: set[str] = set()
        self._standing: dict[str, str] = {}

    async def charge(self, order_id: str, user_id: str, amount_cents: int) -> str:
        if self._latency:
            await asyncio.sleep(self._latency)
        standing = self._standing.get(order_id)
        if standing is not None:
            return standing
        ref = "pay_" + uuid.uuid4().hex
        self.charges[ref] = (order_id, user_id, amount_cents)
        self._standing[order_id] = ref
        return ref

    async def refund(self, payment_ref: str) -> None:
        if payment_ref not in self.charges:
            raise KeyError(payment_ref)
        self.refunds.add(payment_ref)
        order_id = self.charges[payment_ref][0]
        if self._standing.get(order_id) == payment_ref:
            del self._standing[order_id]

    def net_charges_by_order(self) -> Counter[str]:
        """How many charges stand (not refunded) for each order: must never exceed 1."""
        return Counter(order for ref, (order, _, _) in self.charges.items() if ref not in self.refunds)
