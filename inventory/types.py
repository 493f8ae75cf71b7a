"""The inventory's value types, named once. Frozen: they are records, not live objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "AllocationRecord",
    "Product",
    "SaleAllocation",
    "SaleRecord",
    "StockLevel",
    "Store",
    "StoreShare",
]


@dataclass(frozen=True, slots=True)
class Store:
    """A physical store; its coordinates route delivery orders to the nearest one."""

    id: str
    name: str
    city: str
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    price_cents: int
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class StockLevel:
    """One store's units of one sku: ``on_hand`` is sellable, ``allocated`` is held by flash sales."""

    store_id: str
    sku: str
    on_hand: int
    allocated: int


@dataclass(frozen=True, slots=True)
class SaleAllocation:
    """A flash sale as it asks for stock; ``allocations`` are (store_id, quantity) pairs."""

    id: str
    sku: str
    price_cents: int
    starts_at: datetime
    ends_at: datetime
    per_user_limit: int
    payment_timeout_s: int
    created_by: str
    allocations: tuple[tuple[str, int], ...]
    room_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoreShare:
    """A store's share of an allocated sale, with the coordinates used for delivery routing."""

    store_id: str
    quantity: int
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class AllocationRecord:
    """What one store gave to a sale; ``returned`` is the unsold count, set once at settlement."""

    store_id: str
    quantity: int
    returned: int | None = None


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """What the inventory keeps of a sale: its terms, its allocations and whether it is settled."""

    id: str
    sku: str
    price_cents: int
    starts_at: datetime
    ends_at: datetime
    per_user_limit: int
    payment_timeout_s: int
    created_by: str
    room_id: str | None
    created_at: datetime
    settled_at: datetime | None
    allocations: tuple[AllocationRecord, ...]

    @property
    def allocated(self) -> int:
        return sum(a.quantity for a in self.allocations)
