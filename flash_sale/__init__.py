"""The flash-sale core: one atomic Redis-Lua decision per buy, pay, cancel and expiry."""

from flash_sale.core import FlashSaleCore
from flash_sale.errors import FlashSaleError
from flash_sale.payments import LocalPaymentProvider
from flash_sale.routes import FLASH_SALES, routes
from flash_sale.types import (
    AllocatedStore,
    AllocationRequest,
    BuyRequest,
    Delivery,
    PaymentProvider,
    Pickup,
    SaleSnapshot,
    SaleSpec,
    StockAllocator,
)

__all__ = [
    "FLASH_SALES",
    "AllocatedStore",
    "AllocationRequest",
    "BuyRequest",
    "Delivery",
    "FlashSaleCore",
    "FlashSaleError",
    "LocalPaymentProvider",
    "PaymentProvider",
    "Pickup",
    "SaleSnapshot",
    "SaleSpec",
    "StockAllocator",
    "routes",
]
