"""Plain-code glue between packages: each side keeps its own types and interfaces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flash_sale.types import AllocatedStore, SaleSpec
from inventory import Inventory, LedgerOrder, NotFound, SaleAllocation
from inventory.customers import DeliveryFirst

__all__ = ["InventoryAllocator", "InventoryLedger", "InventorySettler"]


class InventoryAllocator:
    """The flash-sale core's ``StockAllocator``, backed by the inventory of record."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory

    async def allocate(self, sale: SaleSpec) -> Sequence[AllocatedStore]:
        shares = await self._inventory.allocate_sale(
            SaleAllocation(
                id=sale.id,
                sku=sale.sku,
                price_cents=sale.price_cents,
                starts_at=sale.starts_at,
                ends_at=sale.ends_at,
                per_user_limit=sale.per_user_limit,
                payment_timeout_s=sale.payment_timeout_s,
                created_by=sale.created_by,
                room_id=sale.room_id,
                allocations=tuple((a.store_id, a.quantity) for a in sale.allocations),
            )
        )
        return [AllocatedStore(s.store_id, s.quantity, s.lat, s.lng) for s in shares]

    async def release_allocation(self, sale_id: str) -> None:
        await self._inventory.release_sale(sale_id)


class InventorySettler:
    """The flash-sale core's ``SaleSettler``: unsold units back to on-hand, once."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory

    async def settle(self, sale_id: str, unsold_by_store: Mapping[str, int]) -> bool:
        return await self._inventory.settle_sale(sale_id, unsold_by_store)


def _dt(ms: Any) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def _ms(dt: datetime | None) -> int | None:
    return None if dt is None else round(dt.timestamp() * 1000)


def to_ledger(rec: Mapping[str, Any]) -> LedgerOrder:
    """An order record of the scripts (times in ms, '' for none) as a ledger row."""
    return LedgerOrder(
        order_id=rec["order_id"],
        sale_id=rec["sale_id"],
        user_id=rec["user_id"],
        sku=rec.get("sku") or "",
        quantity=int(rec["quantity"]),
        amount_cents=int(rec["amount_cents"]),
        store_id=rec["store_id"],
        status=rec["status"],
        idempotency_key=rec.get("idempotency_key") or "",
        created_at=_dt(rec["created_ms"]),  # type: ignore[arg-type]
        expires_at=_dt(rec["expires_ms"]),  # type: ignore[arg-type]
        fulfillment=rec.get("fulfillment") or {},
        nickname=rec.get("nickname") or "",
        room_id=rec.get("room_id") or None,
        host_id=rec.get("host_id") or None,
        payment_ref=rec.get("payment_ref") or None,
        paid_at=_dt(rec.get("paid_ms")),
        closed_at=_dt(rec.get("closed_ms")),
    )


def to_record(o: LedgerOrder) -> dict[str, Any]:
    """A ledger row back in the scripts' record shape, so ``order_view`` renders it unchanged."""
    rec: dict[str, Any] = {
        "order_id": o.order_id, "sale_id": o.sale_id, "user_id": o.user_id, "nickname": o.nickname,
        "sku": o.sku, "quantity": o.quantity, "amount_cents": o.amount_cents, "store_id": o.store_id,
        "fulfillment": o.fulfillment, "status": o.status, "idempotency_key": o.idempotency_key,
        "room_id": o.room_id or "", "created_ms": _ms(o.created_at), "expires_ms": _ms(o.expires_at),
    }
    for key, value in (("paid_ms", _ms(o.paid_at)), ("closed_ms", _ms(o.closed_at)), ("payment_ref", o.payment_ref)):
        if value is not None:
            rec[key] = value
    return rec


def _delivery_first(rec: Mapping[str, Any]) -> DeliveryFirst | None:
    f = rec.get("fulfillment") or {}
    address = f.get("address") if isinstance(f, Mapping) else None
    if f.get("type") != "delivery" or not isinstance(address, Mapping):
        return None
    try:
        return DeliveryFirst(str(rec["user_id"]), float(address["lat"]), float(address["lng"]),
                             rec.get("host_id") or None)
    except (KeyError, TypeError, ValueError):
        return None


class InventoryLedger:
    """The flash-sale core's ``OrderLedgerSink`` and ``OrderLedger`` over the inventory's order ledger."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory

    async def record(self, orders: Sequence[Mapping[str, Any]]) -> None:
        await self._inventory.record_orders([to_ledger(rec) for rec in orders])
        firsts = [first for rec in orders if (first := _delivery_first(rec)) is not None]
        if firsts:  # a viewer with no referral belongs to the store nearest their first delivery
            await self._inventory.attribute_deliveries(firsts)

    async def get_order(self, order_id: str) -> dict[str, Any] | None:
        found = await self._inventory.get_order(order_id)
        return None if found is None else to_record(found)

    async def list_orders(
        self, *, user_id: str | None = None, sale_id: str | None = None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        page = await self._inventory.list_orders(user_id=user_id, sale_id=sale_id, limit=limit, cursor=cursor)
        return [to_record(o) for o in page.orders], page.next_cursor

    async def sale_stores(self, sale_id: str) -> frozenset[str] | None:
        try:
            sale = await self._inventory.get_sale(sale_id)
        except NotFound:
            return None
        return frozenset(a.store_id for a in sale.allocations)

    async def order_statuses(self, sale_id: str) -> dict[str, str]:
        return await self._inventory.order_statuses(sale_id)
