"""The flash-sale core: one atomic Redis-Lua decision per buy, pay, cancel and expiry."""

from flash_sale.core import FlashSaleCore
from flash_sale.errors import FlashSaleError
from flash_sale.ledger_worker import LEDGER_WORKER, LedgerWorker, OrderLedgerSink
from flash_sale.order_routes import ORDER_LEDGER, OrderLedger
from flash_sale.order_routes import routes as ledger_routes
from flash_sale.payments import LocalPaymentProvider
from flash_sale.routes import FLASH_SALES, routes
from flash_sale.settlement import SaleSettler, Settlement
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
    "LEDGER_WORKER",
    "ORDER_LEDGER",
    "AllocatedStore",
    "AllocationRequest",
    "BuyRequest",
    "Delivery",
    "FlashSaleCore",
    "FlashSaleError",
    "LedgerWorker",
    "LocalPaymentProvider",
    "OrderLedger",
    "OrderLedgerSink",
    "PaymentProvider",
    "Pickup",
    "SaleSettler",
    "SaleSnapshot",
    "SaleSpec",
    "Settlement",
    "StockAllocator",
    "ledger_routes",
    "routes",
]
