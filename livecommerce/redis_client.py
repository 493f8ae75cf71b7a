"""The one way this project opens a Redis client: a single server, or a Redis Cluster.

redis-py 8 caps a pool at 100 connections and fails the 101st concurrent command with
``MaxConnectionsError``; in a buy storm that turns load into errors. A blocking pool makes the
excess wait (bounded by ``timeout_s``) for a free connection instead. A cluster client keeps a
pool per node, sized the same.

A cluster is named by ``redis+cluster://host:port[,host:port...]`` (any subset of its nodes: the
rest is discovered), or by an ordinary ``redis://host:port`` with ``LC_REDIS_CLUSTER=1``.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

__all__ = ["AnyRedis", "connect_redis", "is_cluster", "is_cluster_url"]

#: What the packages receive: both clients speak the same commands for keys of one slot.
AnyRedis = aioredis.Redis | RedisCluster

_CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


def is_cluster_url(url: str) -> bool:
    scheme = url.split("://", 1)[0].lower()
    return scheme in _CLUSTER_SCHEMES or (
        scheme in ("redis", "rediss") and os.environ.get("LC_REDIS_CLUSTER", "0") not in ("0", "", "false", "no"))


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)


def _cluster(url: str, max_connections: int) -> RedisCluster:
    parts = urlsplit(url)
    hosts = parts.netloc.rsplit("@", 1)[-1]
    nodes = []
    for item in hosts.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon:
            host, port = port, "6379"
        nodes.append(ClusterNode(host.strip("[]") or "127.0.0.1", int(port or 6379)))
    if not nodes:
        raise ValueError(f"no cluster node in {url!r}")
    return RedisCluster(
        startup_nodes=nodes, decode_responses=True, max_connections=max_connections,
        username=parts.username or None, password=parts.password or None,
        ssl=parts.scheme.lower().startswith("rediss"),
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=20),
        socket_timeout=5, socket_connect_timeout=2, require_full_coverage=True,
    )


def connect_redis(url: str, *, max_connections: int = 1024, timeout_s: float = 10.0) -> AnyRedis:
    if is_cluster_url(url):
        return _cluster(url, max_connections)
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=timeout_s, decode_responses=True, health_check_interval=30
    )
    return aioredis.Redis(connection_pool=pool)
