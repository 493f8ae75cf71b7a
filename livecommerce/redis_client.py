"""The one way this project opens a Redis client.

redis-py 8 caps a pool at 100 connections and fails the 101st concurrent command with
``MaxConnectionsError``; in a buy storm that turns load into errors. A blocking pool makes the
excess wait (bounded by ``timeout_s``) for a free connection instead.
"""

from __future__ import annotations

import redis.asyncio as aioredis

__all__ = ["connect_redis"]


def connect_redis(url: str, *, max_connections: int = 1024, timeout_s: float = 10.0) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=timeout_s, decode_responses=True, health_check_interval=30
    )
    return aioredis.Redis(connection_pool=pool)
