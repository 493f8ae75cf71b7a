"""What the demo seeds: real department stores (real coordinates), their products and stock.

Plain data, so the seeding code stays a list of API calls and a second run can tell what exists.
"""

from __future__ import annotations

from inventory.types import Product, Store

__all__ = ["STORES", "PRODUCTS", "HOST_STORE", "SALE_SKU", "PIN_SKU", "STOCK"]


def _product(sku: str, name: str, price_cents: int) -> Product:
    """A product whose picture ships with the pages (same origin: what their CSP shows)."""
    return Product(sku, name, price_cents, f"/static/demo/products/{sku}.svg")


STORES = (
    Store("sh-nanjing-rd", "Shanghai No.1 Department Store, Nanjing Road", "Shanghai", 31.2355, 121.4753),
    Store("sh-jingan", "Jiuguang Department Store, Jing'an", "Shanghai", 31.2236, 121.4452),
    Store("sh-lujiazui", "IFC Mall, Lujiazui", "Shanghai", 31.2352, 121.5019),
    Store("bj-wangfujing", "Wangfujing Department Store", "Beijing", 39.9139, 116.4106),
    Store("bj-skp", "SKP Beijing, Guomao", "Beijing", 39.9087, 116.4779),
    Store("hz-wulin", "Hangzhou Tower, Wulin Square", "Hangzhou", 30.2769, 120.1636),
)

PRODUCTS = (
    _product("silk-scarf-peony", "Mulberry silk twill scarf, peony print", 89900),
    _product("cashmere-crew", "Cashmere crew-neck sweater, oatmeal", 129900),
    _product("leather-tote", "Leather tote bag, camel", 259900),
    _product("longjing-tea", "West Lake Longjing green tea, 250 g tin", 36800),
    _product("porcelain-tea-set", "Jingdezhen blue-and-white tea set", 68800),
    _product("down-jacket", "Lightweight down jacket, navy", 99900),
    _product("lipstick-trio", "Velvet lipstick trio, gift box", 45900),
    _product("pearl-studs", "Freshwater pearl stud earrings", 59900),
)

#: the host's store (the room and its console), the sale's product and the product pinned first
HOST_STORE = STORES[0].id
SALE_SKU = "silk-scarf-peony"
PIN_SKU = "cashmere-crew"
#: on-hand per store and product when seeded (or topped up to when a sale would not fit)
STOCK = 300
