"""Where a sale's stock lives: one bucket (its own keys), or K buckets for a hot sale.

A hot sale (``shards`` > 1) splits its stock across K buckets, each a complete set of sale keys
under its own hash tag (``{fs:<id>}`` for the first, ``{fs:<id>:<n>}`` for the others), chosen so
the buckets land on different masters of a Redis Cluster. A buyer always goes to the bucket of
their user hash, so the per-user limit, rate limit and idempotency key stay atomic inside one
bucket; order ids stay ``<sale_id>-<seq>``, bucket b of K numbering b+1, b+1+K, ..., so an order
names its bucket. The first bucket's meta lists the buckets; the layout never changes, so each
process reads it once per sale.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from flash_sale.keys import order_seq, sale_keys

__all__ = ["SaleLayout", "choose_buckets", "MAX_SHARDS"]

MAX_SHARDS = 16


def _slot(bucket_id: str) -> int:
    return key_slot(sale_keys(bucket_id)[0].encode())


def choose_buckets(client: aioredis.Redis | RedisCluster, sale_id: str, shards: int) -> list[str]:
    """Bucket ids for a new hot sale, spread over the cluster's masters as evenly as the map allows."""
    if shards <= 1:
        return [sale_id]
    if not isinstance(client, RedisCluster):
        return [sale_id, *(f"{sale_id}:{n}" for n in range(1, shards))]
    masters = [n.name for n in client.get_primaries()]
    owner = client.nodes_manager.get_node_from_slot

    def node(bucket_id: str) -> str:
        return str(owner(_slot(bucket_id)).name)

    chosen, load = [sale_id], Counter({m: 0 for m in masters})
    load[node(sale_id)] += 1
    for n in range(1, 64 * shards):
        if len(chosen) == shards:
            break
        candidate = f"{sale_id}:{n}"
        where = node(candidate)
        if load[where] == min(load.values()):
            chosen.append(candidate)
            load[where] += 1
    n = 64 * shards
    while len(chosen) < shards:  # a map too uneven to balance: take the next ids as they come
        chosen.append(f"{sale_id}:{n}")
        n += 1
    return chosen


class SaleLayout:
    """Reads (once per sale and process) which buckets hold a sale."""

    def __init__(self, client: aioredis.Redis | RedisCluster, max_sales: int = 4096) -> None:
        self._client = client
        self._known: dict[str, list[str]] = {}
        self._max = max_sales

    def remember(self, sale_id: str, buckets: list[str]) -> None:
        if len(self._known) >= self._max:
            self._known.clear()
        self._known[sale_id] = buckets

    async def buckets(self, sale_id: str) -> list[str]:
        """The sale's bucket ids, first bucket first ([sale_id] for an ordinary sale)."""
        known = self._known.get(sale_id)
        if known is not None:
            return known
        raw = await self._client.hmget(sale_keys(sale_id)[0], ["buckets", "state"])
        listed, state = raw[0], raw[1]
        buckets = str(listed).split(",") if listed else [sale_id]
        if state is not None:  # an unknown sale is not remembered: it may be created later
            self.remember(sale_id, buckets)
        return buckets

    async def expand(self, sale_ids: Iterable[str]) -> list[str]:
        """Every bucket of these sales."""
        out: list[str] = []
        for sale_id in sale_ids:
            out += await self.buckets(sale_id)
        return out

    @staticmethod
    def bucket_for_user(buckets: list[str], user_id: str) -> int:
        if len(buckets) == 1:
            return 0
        return zlib.crc32(user_id.encode()) % len(buckets)

    @staticmethod
    def bucket_of_order(buckets: list[str], order_id: str) -> str:
        return buckets[(order_seq(order_id) - 1) % len(buckets)]
