"""Buy, pay, cancel: each one Lua decision; the buy goes through the coalescer.

A hot sale's buyer goes to the bucket of their user hash; when that bucket lacks the units,
stock is moved in from another bucket (rebalance.py) and the buy is sent again (same
idempotency key, so at most one order).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
import redis.asyncio as aioredis

from flash_sale import errors
from flash_sale._commands import BuyPacker
from flash_sale._records import parse_order
from flash_sale.coalescer import Coalescer
from flash_sale.keys import sale_keys, sale_of_order
from flash_sale.layout import SaleLayout
from flash_sale.rebalance import Rebalancer
from flash_sale.scripts import ScriptRegistry
from flash_sale.soldout import SoldOutCache
from flash_sale.types import BuyRequest, Delivery, PaymentProvider

__all__ = ["OrderDesk", "BuyOutcome", "RESTOCK_CHANNEL"]

log = logging.getLogger(__name__)

#: Published with a sale id whenever units return to a sale, so sold-out marks are dropped.
RESTOCK_CHANNEL = "lc:fs:restock"

#: how often one buy may ask for a refill of its bucket before the answer stands
_REFILLS = 4


class BuyOutcome:
    """A successful buy: the order record, whether it is new, and the sale's remaining units."""

    __slots__ = ("order", "created", "remaining")

    def __init__(self, order: dict[str, Any], created: bool, remaining: int | None) -> None:
        self.order = order
        self.created = created
        self.remaining = remaining


def _order_sale(order_id: str) -> str:
    sale_id = sale_of_order(order_id)
    if sale_id is None:
        raise errors.OrderNotFound(f"no order {order_id}")
    return sale_id


class OrderDesk:
    def __init__(
        self,
        client: aioredis.Redis,
        scripts: ScriptRegistry,
        buyer: Coalescer,
        sold_out: SoldOutCache,
        payments: PaymentProvider,
        layout: SaleLayout | None = None,
        rebalancer: Rebalancer | None = None,
    ) -> None:
        self._client = client
        self._layout = layout or SaleLayout(client)
        self._rebalancer = rebalancer or Rebalancer(client, scripts)
        self._scripts = scripts
        self._buyer = buyer
        self._sold_out = sold_out
        self._payments = payments
        self._fetching: set[str] = set()
        self._packer = BuyPacker(scripts["buy"].sha)

    async def buy(self, req: BuyRequest) -> BuyOutcome:
        if self._sold_out.is_sold_out_for(req.sale_id, req.user_id, req.idempotency_key):
            raise errors.SoldOut("sold out", remaining=0)
        f = req.fulfillment
        if isinstance(f, Delivery):
            args = [req.sale_id, req.user_id, req.idempotency_key, req.quantity, "delivery", "",
                    f.lng, f.lat, orjson.dumps({"type": "delivery", "address":
                                                {"text": f.text, "lat": f.lat, "lng": f.lng}}), req.nickname]
        else:
            args = [req.sale_id, req.user_id, req.idempotency_key, req.quantity, "pickup", f.store_id,
                    "", "", orjson.dumps({"type": "pickup", "store_id": f.store_id}), req.nickname]
        buckets = await self._layout.buckets(req.sale_id)
        bucket = buckets[SaleLayout.bucket_for_user(buckets, req.user_id)]
        command, slot = self._packer.pack(bucket, req.user_id, args), self._packer.slot(bucket)
        reply = await self._buyer.call(command, slot)
        for _ in range(_REFILLS if len(buckets) > 1 else 0):
            store = self._refill_for(req, reply)
            if store is False or not await self._rebalancer.refill(buckets, bucket, req.quantity, store or None):
                break
            reply = await self._buyer.call(command, slot)
        return self._interpret(req, reply, buckets)

    @staticmethod
    def _refill_for(req: BuyRequest, reply: list[Any]) -> str | bool:
        """Which stock a hot sale's bucket must receive for this reply to change: a store, '' (any),
        or False (the answer does not depend on the bucket's stock)."""
        if reply[0] == "sold_out":
            return ""
        if reply[0] == "no_stock_at_store" and reply[2] == "empty":
            return req.fulfillment.store_id  # type: ignore[union-attr]
        return False

    def _interpret(self, req: BuyRequest, reply: list[Any], buckets: list[str]) -> BuyOutcome:
        status = reply[0]
        if status == "ok":
            return BuyOutcome(parse_order(reply[1]), True, int(reply[2]))
        if status == "dup":
            return BuyOutcome(parse_order(reply[1]), False, None)
        if status == "sold_out":
            remaining = int(reply[1])
            if remaining == 0:
                self._remember_sold_out(req.sale_id, int(reply[2]), buckets)
            raise errors.SoldOut("sold out" if remaining == 0 else f"only {remaining} left", remaining=remaining)
        if status == "no_stock_at_store":
            nearest = [
                {"store_id": s, "distance_km": round(float(km), 2), "remaining": int(left)}
                for s, km, left in orjson.loads(reply[1])
            ]
            why = "is not part of this sale" if reply[2] == "unknown" else "lacks that quantity"
            raise errors.NoStockAtStore(f"store {req.fulfillment.store_id} {why}",  # type: ignore[union-attr]
                                        nearest_stores=nearest)
        if status == "limit_exceeded":
            raise errors.LimitExceeded(f"per-user limit is {reply[2]}; you hold {reply[1]}",
                                       limit=int(reply[2]), held=int(reply[1]))
        if status == "not_started":
            raise errors.NotStarted("the sale has not started", starts_at_ms=int(reply[1]))
        if status == "ended":
            raise errors.Ended("the sale has ended")
        if status == "rate_limited":
            raise errors.RateLimited("too many attempts, slow down")
        if status == "not_found":
            raise errors.SaleNotFound(f"no flash sale {req.sale_id}")
        raise RuntimeError(f"unexpected buy reply {reply!r}")

    def _remember_sold_out(self, sale_id: str, seq: int, buckets: list[str]) -> None:
        holders = self._sold_out.holders_for(sale_id, seq)
        if holders is not None:
            self._sold_out.mark(sale_id, seq, holders)
        elif sale_id not in self._fetching:
            self._fetching.add(sale_id)
            asyncio.get_running_loop().create_task(self._fetch_holders(sale_id, seq, buckets))

    async def _fetch_holders(self, sale_id: str, seq: int, buckets: list[str]) -> None:
        """Read who holds orders once per sell-out, so their retries still reach Redis."""
        try:
            left, holders = 0, set()
            for bucket in buckets:
                keys = sale_keys(bucket)
                async with self._client.pipeline(transaction=True) as pipe:
                    pipe.hget(keys[0], "remaining").hkeys(keys[5])
                    remaining, held = await pipe.execute()
                left += int(remaining)
                holders.update(held)
            if left == 0:  # still sold out at this instant; a later restock clears it
                self._sold_out.mark(sale_id, seq, frozenset(holders))
        except Exception as exc:  # noqa: BLE001 - an optimisation; Redis keeps answering
            log.warning("could not fetch holders of sale %s: %r", sale_id, exc)
        finally:
            self._fetching.discard(sale_id)

    async def _bucket_of(self, order_id: str) -> str:
        """The bucket holding an order (the sale itself unless it is a hot sale)."""
        buckets = await self._layout.buckets(_order_sale(order_id))
        return SaleLayout.bucket_of_order(buckets, order_id)

    async def get(self, order_id: str) -> dict[str, Any]:
        raw = await self._client.hget(sale_keys(await self._bucket_of(order_id))[6], order_id)
        if raw is None:
            raise errors.OrderNotFound(f"no order {order_id}")
        return parse_order(raw)

    async def pay(self, order_id: str, user_id: str) -> dict[str, Any]:
        """Charge, then confirm inside Redis; refund when the window closed in between."""
        rec = await self.get(order_id)
        if rec["user_id"] != user_id:
            raise errors.OrderNotFound(f"no order {order_id}")
        if rec["status"] == "paid":
            return rec
        if rec["status"] == "expired":
            raise errors.Expired("the payment window has closed")
        if rec["status"] != "reserved":
            raise errors.InvalidState(f"order is {rec['status']}", status=rec["status"])
        ref = await self._payments.charge(order_id, user_id, int(rec["amount_cents"]))
        keys = sale_keys(await self._bucket_of(order_id))
        reply = await self._buyer.run(self._scripts["pay"], keys, [order_id, user_id, ref])
        status = reply[0]
        if status == "ok":
            paid = parse_order(reply[1])
            if paid.get("payment_ref") != ref:  # a concurrent pay won; ours must not stick
                await self._payments.refund(ref)
            return paid
        await self._payments.refund(ref)
        if status == "expired":
            await self._client.publish(RESTOCK_CHANNEL, rec["sale_id"])
            raise errors.Expired("the payment window has closed")
        if status == "not_found":
            raise errors.OrderNotFound(f"no order {order_id}")
        raise errors.InvalidState(f"order is {reply[1]}", status=reply[1])

    async def cancel(self, order_id: str, user_id: str) -> dict[str, Any]:
        sale_id = _order_sale(order_id)
        keys = sale_keys(await self._bucket_of(order_id))
        reply = await self._buyer.run(self._scripts["cancel"], keys, [order_id, user_id])
        status = reply[0]
        if status == "ok":
            await self._client.publish(RESTOCK_CHANNEL, sale_id)
            return parse_order(reply[1])
        if status == "not_found":
            raise errors.OrderNotFound(f"no order {order_id}")
        if reply[1] == "expired":
            raise errors.Expired("the order has expired")
        raise errors.InvalidState(f"order is {reply[1]}", status=reply[1])

    async def expire_due(self, sale_id: str, batch: int = 500) -> tuple[int, int, int]:
        """Expire due reservations of one sale (every bucket): (orders expired, units returned, remaining)."""
        n = units = remaining = 0
        for bucket in await self._layout.buckets(sale_id):
            got = await self._scripts["expire"](self._client, sale_keys(bucket), [batch])
            n, units, remaining = n + int(got[0]), units + int(got[1]), remaining + int(got[2] or 0)
        if units:
            await self._client.publish(RESTOCK_CHANNEL, sale_id)
        return n, units, remaining
