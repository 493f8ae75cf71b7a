"""Checks a sale's books inside Redis: the invariant of the contract and the records behind it.

All reads of a bucket happen in one MULTI/EXEC, so the check is exact even while buyers keep
buying. A hot sale is checked bucket by bucket, and then as a whole: its buckets' allocations plus
the units in flight between them add up to what the sale was given.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import orjson
import redis.asyncio as aioredis

from flash_sale.keys import sale_keys, transfer_out_key
from flash_sale.layout import SaleLayout

__all__ = ["SaleAudit", "audit_sale"]


@dataclass
class SaleAudit:
    sale_id: str
    allocated: int = 0
    remaining: int = 0
    reserved: int = 0
    sold: int = 0
    orders_by_status: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def audit_sale(client: aioredis.Redis, sale_id: str) -> SaleAudit:
    buckets = await SaleLayout(client).buckets(sale_id)
    if len(buckets) == 1:
        return await _audit_bucket(client, sale_id)
    audit = SaleAudit(sale_id)
    given = 0
    for bucket in buckets:
        part = await _audit_bucket(client, bucket)
        audit.allocated += part.allocated
        audit.remaining += part.remaining
        audit.reserved += part.reserved
        audit.sold += part.sold
        audit.orders_by_status.update(part.orders_by_status)
        audit.problems += [f"bucket {bucket}: {p}" for p in part.problems]
        for raw in (await client.hgetall(transfer_out_key(bucket))).values():
            given += sum(orjson.loads(raw)["stores"].values())
    total = int(await client.hget(sale_keys(sale_id)[0], "total_allocated") or 0)
    audit.remaining += given  # in flight: counted as remaining until received
    audit.allocated += given
    if audit.allocated != total:
        audit.problems.append(f"buckets hold {audit.allocated} units (with {given} in flight), the sale {total}")
    audit.allocated = total
    return audit


async def _audit_bucket(client: aioredis.Redis, sale_id: str) -> SaleAudit:
    meta_k, stock_k, geo_k, _pos, users_k, idem_k, orders_k, deadlines_k, _ev = sale_keys(sale_id)
    async with client.pipeline(transaction=True) as pipe:
        pipe.hgetall(meta_k).hgetall(stock_k).zrange(geo_k, 0, -1).hgetall(users_k)
        pipe.hgetall(idem_k).hgetall(orders_k).zrange(deadlines_k, 0, -1)
        meta, stock, geo, users, idem, orders_raw, deadlines = await pipe.execute()
    audit = SaleAudit(sale_id)
    p = audit.problems
    if not meta:
        p.append("sale not found in Redis")
        return audit
    text = {_s(k): _s(v) for k, v in meta.items()}
    audit.allocated, audit.remaining = int(text["allocated"]), int(text["remaining"])
    audit.reserved, audit.sold = int(text["reserved"]), int(text["sold"])
    limit = int(text["limit"])
    if audit.allocated != audit.remaining + audit.reserved + audit.sold:
        p.append(f"allocated {audit.allocated} != remaining {audit.remaining} + reserved "
                 f"{audit.reserved} + sold {audit.sold}")
    for name in ("remaining", "reserved", "sold"):
        if getattr(audit, name) < 0:
            p.append(f"{name} is negative")
    buckets = {_s(k): int(v) for k, v in stock.items()}
    if any(v < 0 for v in buckets.values()):
        p.append(f"negative store bucket: {buckets}")
    if sum(buckets.values()) != audit.remaining:
        p.append(f"buckets sum {sum(buckets.values())} != remaining {audit.remaining}")
    routable = {_s(m) for m in geo}
    if routable != {s for s, v in buckets.items() if v > 0}:
        p.append("routable stores differ from stores with stock")
    orders = {_s(k): orjson.loads(v) for k, v in orders_raw.items()}
    held: Counter[str] = Counter()
    units: Counter[str] = Counter()
    for rec in orders.values():
        audit.orders_by_status[rec["status"]] += 1
        units[rec["status"]] += rec["quantity"]
        if rec["status"] in ("reserved", "paid"):
            held[rec["user_id"]] += rec["quantity"]
    if units["reserved"] != audit.reserved:
        p.append(f"reserved orders hold {units['reserved']} units, counter says {audit.reserved}")
    if units["paid"] != audit.sold:
        p.append(f"paid orders hold {units['paid']} units, counter says {audit.sold}")
    user_counts = {_s(k): int(v) for k, v in users.items()}
    if {u: n for u, n in held.items() if n} != user_counts:
        p.append("per-user holdings differ from the orders")
    over = [u for u, n in held.items() if n > limit]
    if over:
        p.append(f"{len(over)} users above the per-user limit {limit}")
    if len(idem) != len(orders) or set(map(_s, idem.values())) != set(orders):
        p.append("idempotency index and orders differ")
    pending = {_s(d) for d in deadlines}
    if pending != {o for o, r in orders.items() if r["status"] == "reserved"}:
        p.append("payment deadlines differ from reserved orders")
    return audit


def _s(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v
