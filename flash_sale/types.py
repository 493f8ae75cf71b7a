"""Types of the flash-sale core, and the small interfaces it needs from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

__all__ = [
    "AllocatedStore",
    "AllocationRequest",
    "BuyRequest",
    "Delivery",
    "Pickup",
    "PaymentProvider",
    "SaleSpec",
    "SaleSnapshot",
    "StockAllocator",
]


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    store_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class AllocatedStore:
    """A store's share of a sale, with the coordinates used for delivery routing."""

    store_id: str
    quantity: int
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class SaleSpec:
    """A flash sale as the host asked for it; ``id`` is assigned by the core."""

    id: str
    sku: str
    price_cents: int
    starts_at: datetime
    ends_at: datetime
    per_user_limit: int
    payment_timeout_s: int
    allocations: tuple[AllocationRequest, ...]
    created_by: str
    room_id: str | None = None
    #: hot-item mode: the stock split across this many buckets (on different Redis Cluster shards)
    shards: int = 1


@dataclass(frozen=True, slots=True)
class Pickup:
    store_id: str
    type: Literal["pickup"] = "pickup"


@dataclass(frozen=True, slots=True)
class Delivery:
    text: str
    lat: float
    lng: float
    type: Literal["delivery"] = "delivery"


@dataclass(frozen=True, slots=True)
class BuyRequest:
    sale_id: str
    user_id: str
    idempotency_key: str
    quantity: int
    fulfillment: Pickup | Delivery
    nickname: str = ""


@dataclass(frozen=True, slots=True)
class SaleSnapshot:
    """One atomic read of a sale's counters (taken inside Redis, so they always add up)."""

    id: str
    sku: str
    status: Literal["scheduled", "active", "ended"]
    starts_at_ms: int
    ends_at_ms: int
    allocated: int
    remaining: int
    reserved: int
    sold: int
    remaining_by_store: dict[str, int]
    meta: dict[str, Any] = field(default_factory=dict)


class StockAllocator(Protocol):
    """What the sale core needs from the inventory of record (declared here, by the consumer)."""

    async def allocate(self, sale: SaleSpec) -> Sequence[AllocatedStore]:
        """Move each allocation out of its store's on-hand in one transaction and record the sale.

        Raises an error with ``code == "insufficient_stock"`` (nothing changed) when a store lacks
        the quantity, ``code == "not_found"`` for an unknown store or sku.
        """
        ...

    async def release_allocation(self, sale_id: str) -> None:
        """Undo ``allocate`` (used when loading the sale into Redis failed)."""
        ...


class PaymentProvider(Protocol):
    """The payment service. The real one is WeChat Pay; tests and the demo use a local stand-in."""

    async def charge(self, order_id: str, user_id: str, amount_cents: int) -> str:
        """Charge and return a payment reference; raise on decline. Idempotent per order: while a
        charge for ``order_id`` stands, charging again returns its reference."""
        ...

    async def refund(self, payment_ref: str) -> None: ...
