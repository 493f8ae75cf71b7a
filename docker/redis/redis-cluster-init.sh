#!/bin/sh
# Forms the Redis Cluster of docker/compose.cluster.yml once: 3 masters, one replica each.
# Idempotent: when redis-1 already reports a healthy cluster there is nothing to do.
set -eu
nodes="redis-1:6379 redis-2:6379 redis-3:6379 redis-4:6379 redis-5:6379 redis-6:6379"
if redis-cli -h redis-1 cluster info | grep -q '^cluster_state:ok'; then
  echo "redis cluster already formed"
  exit 0
fi
# shellcheck disable=SC2086
redis-cli --cluster create $nodes --cluster-replicas 1 --cluster-yes
for _ in $(seq 1 60); do
  if redis-cli -h redis-1 cluster info | grep -q '^cluster_state:ok'; then
    echo "redis cluster ready"
    exit 0
  fi
  sleep 1
done
echo "redis cluster did not become ready" >&2
exit 1
