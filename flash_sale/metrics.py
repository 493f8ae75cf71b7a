"""Prometheus counters of the flash-sale core (prometheus-client's default registry, per process).

Children are bound once at import so the buy path pays one ``inc()`` and no label lookup. Counters
are per process: Prometheus (or the multiprocess collector) sums them over processes; each order
is reserved, paid, cancelled or expired by exactly one process, so the sums are the platform's.
"""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["BUY_OUTCOMES", "BUY_ATTEMPTS", "ORDERS_CLOSED", "PAID", "CANCELLED", "EXPIRED", "PAY_TOO_LATE",
           "RESERVED", "DUPLICATE", "SOLD_OUT", "count_buy"]

BUY_ATTEMPTS = Counter(
    "lc_flash_sale_buy_attempts", "Buy attempts that reached the flash-sale core, by outcome", ["outcome"])

#: ``reserved`` (a new order), ``duplicate`` (same idempotency key), then the error codes of API.md.
BUY_OUTCOMES = ("reserved", "duplicate", "sold_out", "limit_exceeded", "not_started", "ended",
                "no_stock_at_store", "rate_limited", "not_found", "error")
_CHILDREN = {outcome: BUY_ATTEMPTS.labels(outcome) for outcome in BUY_OUTCOMES}
RESERVED, DUPLICATE, SOLD_OUT = _CHILDREN["reserved"], _CHILDREN["duplicate"], _CHILDREN["sold_out"]

ORDERS_CLOSED = Counter(
    "lc_flash_sale_orders_closed", "Reservations closed in this process, by how: paid, cancelled, expired",
    ["how"])
PAID = ORDERS_CLOSED.labels("paid")
CANCELLED = ORDERS_CLOSED.labels("cancelled")
EXPIRED = ORDERS_CLOSED.labels("expired")
PAY_TOO_LATE = Counter("lc_flash_sale_pay_too_late", "Payments refused because the window had closed")


def count_buy(outcome: str) -> None:
    """Count one attempt; an unknown code counts as ``error`` (bounded label values)."""
    (_CHILDREN.get(outcome) or _CHILDREN["error"]).inc()

