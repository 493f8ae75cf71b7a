"""In-process memory of sold-out sales, so buys after a sell-out are answered without Redis.

Correctness rules:
- only a sale Redis itself reported with 0 remaining is marked;
- a buyer whose (user, idempotency key) already has an order is still sent to Redis, so a
  retry gets its order back rather than ``sold_out`` (the keys are fetched once per sell-out);
- returning stock (cancel, expiry) clears the mark in every process via pub/sub, and the mark
  lapses by itself after ``ttl_s`` in case a message was missed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["SoldOutCache"]


@dataclass(slots=True)
class _Mark:
    seq: int
    holders: frozenset[str]
    until: float


class SoldOutCache:
    def __init__(self, ttl_s: float = 2.0) -> None:
        self._ttl = ttl_s
        self._marks: dict[str, _Mark] = {}
        self.answered = 0

    def is_sold_out_for(self, sale_id: str, user_id: str, key: str) -> bool:
        """True when this buy may be answered ``sold_out`` locally."""
        mark = self._marks.get(sale_id)
        if mark is None:
            return False
        if mark.until < time.monotonic():
            return False  # lapsed: ask Redis again (the holders stay for reuse)
        if f"{user_id}|{key}" in mark.holders:
            return False
        self.answered += 1
        return True

    def holders_for(self, sale_id: str, seq: int) -> frozenset[str] | None:
        """The holder keys fetched at an earlier mark with the same order count, if any."""
        mark = self._marks.get(sale_id)
        return mark.holders if mark is not None and mark.seq == seq else None

    def mark(self, sale_id: str, seq: int, holders: frozenset[str]) -> None:
        self._marks[sale_id] = _Mark(seq, holders, time.monotonic() + self._ttl)

    def clear(self, sale_id: str) -> None:
        mark = self._marks.get(sale_id)
        if mark is not None:
            mark.until = 0.0

    def clear_all(self) -> None:
        for mark in self._marks.values():
            mark.until = 0.0

    def forget(self, sale_id: str) -> None:
        self._marks.pop(sale_id, None)

    def is_marked(self, sale_id: str) -> bool:
        mark = self._marks.get(sale_id)
        return mark is not None and mark.until >= time.monotonic()
