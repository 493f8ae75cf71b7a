"""Packs the buy script's EVALSHA once per sale prefix, so a buy encodes only its own arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.crc import key_slot

from flash_sale._resp import encode_arg
from flash_sale.keys import rate_limit_key, sale_keys

__all__ = ["BuyPacker"]


def _bulk(value: Any) -> bytes:
    b = encode_arg(value)
    return b"$%d\r\n%b\r\n" % (len(b), b)


class BuyPacker:
    """``EVALSHA <sha> 10 <9 sale keys> <rate-limit key> <10 args>`` as RESP bytes."""

    ARGC = 10

    def __init__(self, sha: str, max_sales: int = 4096) -> None:
        self._sha = sha
        self._prefixes: dict[str, bytes] = {}
        self._slots: dict[str, int] = {}
        self._max = max_sales

    def slot(self, sale_id: str) -> int:
        """The Redis Cluster slot of the sale's keys (its hash tag)."""
        slot = self._slots.get(sale_id)
        if slot is None:
            if len(self._slots) >= self._max:
                self._slots.clear()
            slot = self._slots[sale_id] = key_slot(sale_keys(sale_id)[0].encode())
        return slot

    def _prefix(self, sale_id: str) -> bytes:
        prefix = self._prefixes.get(sale_id)
        if prefix is None:
            keys = sale_keys(sale_id)
            n = 3 + len(keys) + 1 + self.ARGC
            prefix = (b"*%d\r\n" % n) + _bulk("EVALSHA") + _bulk(self._sha) + _bulk(len(keys) + 1)
            prefix += b"".join(_bulk(k) for k in keys)
            if len(self._prefixes) >= self._max:
                self._prefixes.clear()
            self._prefixes[sale_id] = prefix
        return prefix

    def pack(self, sale_id: str, user_id: str, args: Sequence[Any]) -> bytes:
        if len(args) != self.ARGC:
            raise ValueError(f"buy takes {self.ARGC} arguments")
        return self._prefix(sale_id) + _bulk(rate_limit_key(sale_id, user_id)) + b"".join(_bulk(a) for a in args)
