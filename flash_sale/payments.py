"""A local stand-in for the payment provider, behind the interface the real one implements.

The real provider (WeChat Pay JSAPI) cannot run here. This one approves every charge and keeps
a ledger of charges and refunds so tests can prove nobody is charged twice for one order.
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

    async def charge(self, order_id: str, user_id: str, amount_cents: int) -> str:
        if self._latency:
            await asyncio.sleep(self._latency)
        ref = "pay_" + uuid.uuid4().hex
        self.charges[ref] = (order_id, user_id, amount_cents)
        return ref

    async def refund(self, payment_ref: str) -> None:
        if payment_ref not in self.charges:
            raise KeyError(payment_ref)
        self.refunds.add(payment_ref)

    def net_charges_by_order(self) -> Counter[str]:
        """How many charges stand (not refunded) for each order: must never exceed 1."""
        return Counter(order for ref, (order, _, _) in self.charges.items() if ref not in self.refunds)
