"""Errors of the inventory, by kind. Each names a ``code``; the HTTP edge maps codes to statuses."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyExists",
    "InsufficientStock",
    "InvalidRequest",
    "InvalidState",
    "InventoryError",
    "NotFound",
]


class InventoryError(Exception):
    """Root of every inventory error: callers can catch the package's failures by kind."""

    code: str = "inventory_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details


class NotFound(InventoryError):
    """A store, product or sale that does not exist (``details``: resource, id)."""

    code = "not_found"

    def __init__(self, resource: str, ident: str) -> None:
        super().__init__(f"{resource} {ident!r} not found", resource=resource, id=ident)


class AlreadyExists(InventoryError):
    """A create with an id that is taken (``details``: resource, id)."""

    code = "already_exists"

    def __init__(self, resource: str, ident: str) -> None:
        super().__init__(f"{resource} {ident!r} already exists", resource=resource, id=ident)


class InsufficientStock(InventoryError):
    """A store lacks the quantity asked of it; the whole allocation was rolled back."""

    code = "insufficient_stock"

    def __init__(self, store_id: str, sku: str, available: int, requested: int) -> None:
        super().__init__(
            f"store {store_id!r} has {available} of {sku!r} on hand, {requested} requested",
            store_id=store_id,
            sku=sku,
            available=available,
            requested=requested,
        )


class InvalidRequest(InventoryError):
    """Arguments that can never succeed (``details``: the offending field)."""

    code = "invalid_request"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


class InvalidState(InventoryError):
    """The record exists but is in a state that forbids the operation (e.g. releasing a settled sale)."""

    code = "invalid_state"
