"""What the demo seeds: real department stores (real coordinates), their products and stock.

Plain data, so the seeding code stays a list of API calls and a second run can tell what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DemoStore", "DemoProduct", "STORES", "PRODUCTS", "HOST_STORE", "SALE_SKU", "PIN_SKU", "STOCK"]


@dataclass(frozen=True, slots=True)
class DemoStore:
    id: str
    name: str
    city: str
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class DemoProduct:
    sku: str
    name: str
    price_cents: int

    @property
    def image_url(self) -> str:
        return f"/static/demo/products/{self.sku}.svg"


STORES = (
    DemoStore("sh-nanjing-rd", "Shanghai No.1 Department Store, Nanjing Road", "Shanghai", 31.2355, 121.4753),
    DemoStore("sh-jingan", "Jiuguang Department Store, Jing'an", "Shanghai", 31.2236, 121.4452),
    DemoStore("sh-lujiazui", "IFC Mall, Lujiazui", "Shanghai", 31.2352, 121.5019),
    DemoStore("bj-wangfujing", "Wangfujing Department Store", "Beijing", 39.9139, 116.4106),
    DemoStore("bj-skp", "SKP Beijing, Guomao", "Beijing", 39.9087, 116.4779),
    DemoStore("hz-wulin", "Hangzhou Tower, Wulin Square", "Hangzhou", 30.2769, 120.1636),
)

PRODUCTS = (
    DemoProduct("silk-scarf-peony", "Mulberry silk twill scarf, peony print", 89900),
    DemoProduct("cashmere-crew", "Cashmere crew-neck sweater, oatmeal", 129900),
    DemoProduct("leather-tote", "Leather tote bag, camel", 259900),
    DemoProduct("longjing-tea", "West Lake Longjing green tea, 250 g tin", 36800),
    DemoProduct("porcelain-tea-set", "Jingdezhen blue-and-white tea set", 68800),
    DemoProduct("down-jacket", "Lightweight down jacket, navy", 99900),
    DemoProduct("lipstick-trio", "Velvet lipstick trio, gift box", 45900),
    DemoProduct("pearl-studs", "Freshwater pearl stud earrings", 59900),
)

#: the host's store (the room and its console), the sale's product and the product pinned first
HOST_STORE = STORES[0].id
SALE_SKU = "silk-scarf-peony"
PIN_SKU = "cashmere-crew"
#: on-hand per store and product when seeded (or topped up to when a sale would not fit)
STOCK = 300
