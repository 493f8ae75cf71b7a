"""Turns entries of a sale's event stream into order records for the ledger.

The scripts append (see buy.lua and ``release`` in _common.lua, pay.lua):
``reserved`` with the whole order record (``order`` JSON); ``paid`` with ``payment_ref``;
``cancelled`` / ``expired``; each with ``order_id`` and ``ts_ms`` (Redis clock).

A batch is folded into one record per order, the status only moving forward, so the ledger gets
one row per order per batch whatever the entries' order or repetition (a reclaim may bring a
``reserved`` entry after its ``paid`` one). A status entry whose ``reserved`` entry is not in the
batch leaves its order's record to be read from Redis (``needs_record``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
import redis.asyncio as aioredis

from flash_sale._records import parse_order
from flash_sale.keys import sale_keys

__all__ = ["OrderFold", "RecordSource", "fold", "is_closed"]

log = logging.getLogger(__name__)

_CLOSED = frozenset({"paid", "cancelled", "expired"})
_KNOWN = _CLOSED | {"reserved"}


def is_closed(status: str) -> bool:
    return status in _CLOSED


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class OrderFold:
    """Accumulates one batch: ``records`` (order_id -> record) and the ids still needing one."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self._changes: dict[str, dict[str, Any]] = {}
        self.skipped = 0

    def add(self, fields: Mapping[Any, Any]) -> None:
        f = {_text(k): _text(v) for k, v in fields.items()}
        kind, order_id = f.get("type"), f.get("order_id")
        if kind not in _KNOWN or not order_id:
            log.warning("ledger: skipping an unreadable stream entry %r", f)
            self.skipped += 1
            return
        if kind == "reserved":
            try:
                rec = orjson.loads(f["order"])
            except (KeyError, orjson.JSONDecodeError):
                log.warning("ledger: reserved entry without a readable order: %r", f)
                self.skipped += 1
                return
            self._merge_record(order_id, rec)
            return
        change: dict[str, Any] = {"status": kind}
        ts = int(f["ts_ms"]) if f.get("ts_ms", "").isdigit() else None
        if kind == "paid":
            change.update(paid_ms=ts, payment_ref=f.get("payment_ref"))
        else:
            change["closed_ms"] = ts
        if order_id in self.records:
            self._advance(self.records[order_id], change)
        elif not is_closed(self._changes.get(order_id, {}).get("status", "")):
            self._changes[order_id] = change

    def add_records(self, found: Mapping[str, dict[str, Any]]) -> None:
        """Records read from Redis for ``needs_record`` (already at least as advanced as the entries)."""
        for order_id, rec in found.items():
            self._merge_record(order_id, rec)

    @property
    def needs_record(self) -> list[str]:
        return [o for o in self._changes if o not in self.records]

    def _merge_record(self, order_id: str, rec: dict[str, Any]) -> None:
        held = self.records.get(order_id)
        if held is not None and is_closed(held["status"]):
            return  # a closed record is never reopened by a late 'reserved' entry
        self.records[order_id] = rec
        change = self._changes.pop(order_id, None)
        if change is not None:
            self._advance(rec, change)

    @staticmethod
    def _advance(rec: dict[str, Any], change: dict[str, Any]) -> None:
        if is_closed(rec["status"]):
            return
        for key, value in change.items():
            if value is not None:
                rec[key] = value


def fold(entries: Iterable[Mapping[Any, Any]]) -> OrderFold:
    batch = OrderFold()
    for fields in entries:
        batch.add(fields)
    return batch


class RecordSource:
    """Builds a batch's records: the entries folded, plus what they lack, read from the sale's keys."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._hosts: dict[str, str] = {}

    async def records(self, sale_id: str, entries: Sequence[Mapping[Any, Any]]) -> list[dict[str, Any]]:
        batch = fold(entries)
        missing = batch.needs_record
        if missing:  # status entries whose 'reserved' entry came in an earlier batch
            raws = await self._client.hmget(sale_keys(sale_id)[6], missing)
            found = {o: parse_order(raw) for o, raw in zip(missing, raws, strict=True) if raw}
            batch.add_records(found)
            for order_id in set(missing) - set(found):
                log.error("ledger: order %s has events but no record in Redis; its change is skipped", order_id)
        host = await self._host_of(sale_id)
        for rec in batch.records.values():
            rec.setdefault("host_id", host)
        return list(batch.records.values())

    async def _host_of(self, sale_id: str) -> str | None:
        """The sale's creator (its host), read once per sale and process."""
        if sale_id not in self._hosts:
            self._hosts[sale_id] = _text(await self._client.hget(sale_keys(sale_id)[0], "created_by") or "")
        return self._hosts[sale_id] or None
