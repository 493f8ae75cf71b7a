"""Glue for the room's realtime plane: rooms from the media plane, pinned cards from the
inventory and the flash-sale core. Each side keeps its own types."""

from __future__ import annotations

from typing import Any

from flash_sale import FlashSaleCore
from flash_sale.errors import SaleNotFound
from flash_sale.keys import SALE_ID_RE
from flash_sale.routes import sale_view
from inventory import Inventory, NotFound
from stream_server import RoomStore
from stream_server.errors import RoomNotFound
from stream_server.realtime import RoomInfo

__all__ = ["RoomsForRealtime", "PinCatalog"]


class RoomsForRealtime:
    """The realtime plane's ``RoomDirectory``, over the media plane's room records."""

    def __init__(self, rooms: RoomStore) -> None:
        self._rooms = rooms

    async def get_room(self, room_id: str) -> RoomInfo | None:
        try:
            room = await self._rooms.get(room_id)
        except RoomNotFound:
            return None
        return RoomInfo(room.id, room.store_id, room.status.value)

    async def set_pinned(self, room_id: str, pinned: dict[str, Any] | None) -> None:
        await self._rooms.set_pinned(room_id, pinned)

    async def set_viewers(self, room_id: str, count: int) -> None:
        await self._rooms.set_viewers(room_id, count)


class PinCatalog:
    """The realtime plane's ``PinSource``: public views of a product and of a flash sale."""

    def __init__(self, inventory: Inventory, sales: FlashSaleCore) -> None:
        self._inventory = inventory
        self._sales = sales

    async def product(self, sku: str) -> dict[str, Any] | None:
        try:
            p = await self._inventory.get_product(sku)
        except NotFound:
            return None
        return {"sku": p.sku, "name": p.name, "price_cents": p.price_cents, "image_url": p.image_url}

    async def flash_sale(self, sale_id: str) -> dict[str, Any] | None:
        if not SALE_ID_RE.match(sale_id):
            return None
        try:
            return sale_view(await self._sales.sales.snapshot(sale_id))
        except SaleNotFound:
            return None
