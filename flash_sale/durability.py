"""When a buy is acknowledged: once Redis has it, once it is fsynced, or once a replica has it.

Redis replication is asynchronous: a master that dies loses whatever its replica had not
received yet, so only ``replica`` (WAIT) keeps acknowledged orders through a failover, and only
``fsync`` / ``replica`` through a crash of the machine. The check rides on the buy pipe itself:
WAIT / WAITAOF after a batch covers every script of that batch, one extra reply per round trip.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError

from flash_sale._resp import RespPipe, pack_command

__all__ = ["Durability", "DurabilityPolicy", "NotDurable"]


class Durability(enum.StrEnum):
    REDIS = "redis"
    FSYNC = "fsync"
    REPLICA = "replica"


class NotDurable(RedisConnectionError):
    """The decision was made but not made durable in time: answer 503; a retry with the same
    idempotency key returns the same order."""


@dataclass(frozen=True)
class DurabilityPolicy:
    level: Durability = Durability.REDIS
    replicas: int = 1
    timeout_ms: int = 1000

    @classmethod
    def parse(cls, level: str, timeout_ms: int = 1000) -> DurabilityPolicy:
        try:
            return cls(Durability(level.strip().lower() or "redis"), timeout_ms=timeout_ms)
        except ValueError:
            raise ValueError(f"LC_BUY_DURABILITY must be redis, fsync or replica, not {level!r}") from None

    def suffix(self, waitaof: bool = True) -> bytes | None:
        """The command appended to every batch (None: nothing to wait for)."""
        if self.level is Durability.REPLICA:
            return pack_command(["WAIT", self.replicas, self.timeout_ms])
        if self.level is Durability.FSYNC and waitaof:
            return pack_command(["WAITAOF", 1, 0, self.timeout_ms])
        return None

    def check(self, reply: Any) -> None:
        """Raise NotDurable unless the reply to :meth:`suffix` confirms the batch."""
        if isinstance(reply, Exception):
            raise NotDurable(f"durability check failed: {reply}")
        if self.level is Durability.REPLICA and int(reply) < self.replicas:
            raise NotDurable(f"no replica confirmed the write within {self.timeout_ms} ms")
        if self.level is Durability.FSYNC and int(reply[0]) < 1:
            raise NotDurable(f"the write was not fsynced within {self.timeout_ms} ms")

    async def suffix_for(self, pipe: RespPipe) -> bytes | None:
        """:meth:`suffix` for the node behind ``pipe`` (probing it for WAITAOF when fsync is asked)."""
        waitaof = True
        if self.level is Durability.FSYNC:
            probe = (await pipe.execute(pack_command(["WAITAOF", 0, 0, 0]), 1))[0]
            if isinstance(probe, Exception):
                conf = (await pipe.execute(pack_command(["CONFIG", "GET", "appendfsync"]), 1))[0]
                value = conf[1] if isinstance(conf, list) and len(conf) == 2 else None
                waitaof = not self.fsync_fallback(value, str(probe))
        return self.suffix(waitaof)

    @staticmethod
    def fsync_fallback(appendfsync: str | None, version_error: str) -> bool:
        """Redis < 7.2 has no WAITAOF; ``appendfsync always`` fsyncs every write before its reply."""
        if appendfsync == "always":
            return True
        raise RuntimeError(f"LC_BUY_DURABILITY=fsync needs Redis 7.2+ (WAITAOF) or appendfsync always "
                           f"on every master ({version_error})")
