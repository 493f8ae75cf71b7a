"""Reconciliation of one sale: its books inside Redis, and Redis against the ledger of record.

Checks the contract's invariant (``audit_sale``: allocated = remaining + reserved + sold, nothing
negative, nobody above the per-user limit) and that every order in Redis is in the ledger with
the same status, and nothing else is. Call it once the ledger has consumed the sale's stream
(``LedgerWorker.drain``): a lagging ledger is not a difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import redis.asyncio as aioredis

from flash_sale._records import parse_order
from flash_sale.audit import SaleAudit, audit_sale
from flash_sale.keys import sale_keys
from flash_sale.layout import SaleLayout

__all__ = ["LedgerStatuses", "SaleReconciliation", "reconcile_sale"]

_SHOWN = 10


class LedgerStatuses(Protocol):
    """What reconciliation reads from the ledger (declared here, by the consumer)."""

    async def order_statuses(self, sale_id: str) -> dict[str, str]:
        """order_id -> status of every order the ledger holds for the sale."""
        ...


@dataclass
class SaleReconciliation:
    sale_id: str
    audit: SaleAudit
    redis_orders: int = 0
    ledger_orders: int = 0
    missing: list[str] = field(default_factory=list)
    differing: list[tuple[str, str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.audit.ok and not (self.missing or self.differing or self.unknown)

    @property
    def suspects(self) -> list[str]:
        """Orders that differ: worth a second look after the ledger catches up."""
        return [*self.missing, *(o for o, _, _ in self.differing), *self.unknown]

    def lines(self) -> list[str]:
        a = self.audit
        head = (f"sale {self.sale_id}  {'ok  ' if self.ok else 'FAIL'}  allocated {a.allocated} = remaining "
                f"{a.remaining} + reserved {a.reserved} + sold {a.sold}; orders: redis {self.redis_orders}, "
                f"ledger {self.ledger_orders}")
        out = [head, *(f"    invariant: {p}" for p in a.problems)]
        if self.missing:
            out.append(f"    {len(self.missing)} orders missing from the ledger: {', '.join(self.missing[:_SHOWN])}")
        for order_id, in_redis, in_ledger in self.differing[:_SHOWN]:
            out.append(f"    order {order_id}: redis says {in_redis}, ledger says {in_ledger}")
        if len(self.differing) > _SHOWN:
            out.append(f"    ... {len(self.differing) - _SHOWN} more orders with another status in the ledger")
        if self.unknown:
            out.append(f"    {len(self.unknown)} ledger orders unknown to Redis: {', '.join(self.unknown[:_SHOWN])}")
        return out


async def reconcile_sale(client: aioredis.Redis, ledger: LedgerStatuses, sale_id: str) -> SaleReconciliation:
    audit = await audit_sale(client, sale_id)
    in_redis: dict[str, str] = {}
    for bucket in await SaleLayout(client).buckets(sale_id):
        for k, v in (await client.hgetall(sale_keys(bucket)[6])).items():
            in_redis[k.decode() if isinstance(k, bytes) else k] = parse_order(v)["status"]
    in_ledger = await ledger.order_statuses(sale_id)
    result = SaleReconciliation(sale_id, audit, len(in_redis), len(in_ledger))
    for order_id, status in sorted(in_redis.items()):
        held = in_ledger.get(order_id)
        if held is None:
            result.missing.append(order_id)
        elif held != status:
            result.differing.append((order_id, status, held))
    result.unknown = sorted(set(in_ledger) - set(in_redis))
    return result
