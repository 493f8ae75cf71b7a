"""Errors of the flash-sale core. Each names a contract error code; HTTP statuses live at the edge."""

from __future__ import annotations

from typing import Any

__all__ = [
    "FlashSaleError",
    "SaleNotFound",
    "OrderNotFound",
    "NotStarted",
    "Ended",
    "SoldOut",
    "LimitExceeded",
    "RateLimited",
    "NoStockAtStore",
    "Expired",
    "InvalidState",
    "InvalidSale",
    "PaymentDeclined",
]


class FlashSaleError(Exception):
    code = "flash_sale_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class SaleNotFound(FlashSaleError):
    code = "not_found"


class OrderNotFound(FlashSaleError):
    code = "not_found"


class NotStarted(FlashSaleError):
    code = "not_started"


class Ended(FlashSaleError):
    code = "ended"


class SoldOut(FlashSaleError):
    code = "sold_out"


class LimitExceeded(FlashSaleError):
    code = "limit_exceeded"


class RateLimited(FlashSaleError):
    code = "rate_limited"


class NoStockAtStore(FlashSaleError):
    code = "no_stock_at_store"


class Expired(FlashSaleError):
    code = "expired"


class InvalidState(FlashSaleError):
    code = "invalid_state"


class InvalidSale(FlashSaleError):
    code = "invalid_request"


class PaymentDeclined(FlashSaleError):
    code = "payment_declined"
