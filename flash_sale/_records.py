"""Conversions between Redis replies and the JSON the API returns."""

from __future__ import annotations

import time
from typing import Any

import orjson

__all__ = ["iso_ms", "order_view", "parse_order"]


def iso_ms(ms: int | float | None) -> str | None:
    """UTC ISO 8601 with milliseconds and ``Z``, as the contract's responses carry."""
    if ms is None:
        return None
    seconds, millis = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def parse_order(raw: str | bytes) -> dict[str, Any]:
    return orjson.loads(raw)


def order_view(rec: dict[str, Any]) -> dict[str, Any]:
    """The contract's order object, built from the record the scripts keep."""
    f = rec.get("fulfillment") or {}
    view: dict[str, Any] = {
        "order_id": rec["order_id"],
        "sale_id": rec["sale_id"],
        "sku": rec.get("sku"),
        "status": rec["status"],
        "quantity": int(rec["quantity"]),
        "amount_cents": int(rec["amount_cents"]),
        "store_id": rec["store_id"],
        "fulfillment": f,
        "created_at": iso_ms(rec.get("created_ms")),
        "expires_at": iso_ms(rec.get("expires_ms")),
    }
    if rec.get("paid_ms"):
        view["paid_at"] = iso_ms(rec["paid_ms"])
    if rec.get("closed_ms"):
        view["closed_at"] = iso_ms(rec["closed_ms"])
    if rec.get("room_id"):
        view["room_id"] = rec["room_id"]
    return view
