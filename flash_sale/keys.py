"""Key names of one sale. Every key carries the hash tag ``{fs:<id>}`` so a sale lives on one
Redis Cluster slot and its scripts run there unchanged."""

from __future__ import annotations

import re

__all__ = [
    "SALE_ID_RE", "ORDER_ID_RE", "sale_keys", "buy_keys", "rate_limit_key", "sale_of_order", "ACTIVE_SALES",
    "transfer_out_key", "transfer_in_key", "order_seq", "room_sales_key",
]

SALE_ID_RE = re.compile(r"^[a-z0-9]{6,32}$")
ORDER_ID_RE = re.compile(r"^([a-z0-9]{6,32})-([1-9][0-9]{0,11})$")

#: Index of sales a sweeper must watch (outside any sale's slot; only Python reads it).
ACTIVE_SALES = "lc:sales:active"



def room_sales_key(room_id: str) -> str:
    """A room's sales by start time (outside any sale's slot, like ACTIVE_SALES; only Python reads it)."""
    return f"lc:sales:room:{room_id}"


_PARTS = ("meta", "stock", "geo", "pos", "users", "idem", "orders", "deadlines", "events")


def sale_keys(sale_id: str) -> list[str]:
    """The keys of a sale, or of one bucket of a hot sale (bucket ids are ``<sale_id>:<n>``)."""
    tag = f"{{fs:{sale_id}}}"
    return [f"{tag}:{part}" for part in _PARTS]


def rate_limit_key(sale_id: str, user_id: str) -> str:
    return f"{{fs:{sale_id}}}:rl:{user_id}"


def buy_keys(sale_id: str, user_id: str) -> list[str]:
    return [*sale_keys(sale_id), rate_limit_key(sale_id, user_id)]


def sale_of_order(order_id: str) -> str | None:
    """The sale an order id belongs to (order ids are ``<sale_id>-<seq>``), or None if malformed."""
    m = ORDER_ID_RE.match(order_id)
    return m.group(1) if m else None


def transfer_out_key(bucket_id: str) -> str:
    """Stock a hot sale's bucket gave away and the receiver may not have yet (transfer id -> JSON)."""
    return f"{{fs:{bucket_id}}}:xfer"


def transfer_in_key(bucket_id: str) -> str:
    """Transfers a bucket has received already (so a replayed transfer is applied once)."""
    return f"{{fs:{bucket_id}}}:xfer_in"


def order_seq(order_id: str) -> int:
    """The sequence number of a well-formed order id."""
    return int(order_id.rsplit("-", 1)[1])
