"""Coalesces concurrent script calls into pipelined round trips, one lane per Redis node.

Under a burst, thousands of handlers want the buy script at once. Each handler appends its
call and awaits a future; a few sender tasks take everything queued and send it as one
pipeline. Idle, a call goes out on the next loop iteration; busy, one round trip carries
hundreds of decisions. Redis still runs each script atomically, in arrival order.

On a Redis Cluster every call names its key slot and joins the lane (queue, senders, pipes) of
the master owning that slot. A refused call (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) or a lost node
refreshes the slot map and sends the call again through whatever master owns the slot now,
until ``retry_s`` has passed: safe, because the scripts sent this way are idempotent (buy by its
idempotency key; pay, cancel and the stock transfers by the state they check first). Every
write the core acknowledges goes through here, so the durability check covers all of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flash_sale._lanes import Call, Lane
from flash_sale._resp import RespPipe, pack_command
from flash_sale.durability import DurabilityPolicy, NotDurable
from flash_sale.scripts import Script, is_noscript
from flash_sale.tasks import cancel_and_wait, reraise_if_cancelling

__all__ = ["Coalescer"]

log = logging.getLogger(__name__)

_REDIRECTS = ("MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN")


def _redirected(result: object) -> bool:
    return isinstance(result, ResponseError) and str(result).startswith(_REDIRECTS)


class Coalescer:
    """Owner of the sender tasks; ``start()``/``stop()`` bound their life.

    Calls must be idempotent: after a dropped connection or a redirection a call is sent again
    before its caller sees an error. ``scripts`` are (re)loaded on a node that answers NOSCRIPT.
    """

    def __init__(
        self, client: aioredis.Redis | RedisCluster, scripts: Sequence[Script], *, senders: int = 4,
        max_batch: int = 512, durability: DurabilityPolicy | None = None, retry_s: float | None = None,
    ) -> None:
        self._client = client
        self._cluster = isinstance(client, RedisCluster)
        self._scripts = list(scripts)
        self._senders = senders
        self._max_batch = max_batch
        self.durability = durability or DurabilityPolicy()
        # one retry on a single server (as a restart would need); a cluster failover takes seconds
        self._retry_s = retry_s if retry_s is not None else (15.0 if self._cluster else 0.05)
        self._lanes: dict[str, Lane] = {}
        self._refreshing: asyncio.Task[None] | None = None
        self._running = False
        self.batches = 0
        self.calls = 0
        self.rerouted = 0

    async def start(self) -> None:
        """Open a lane per master and check the durability level there (a misfit fails here, clearly)."""
        self._running = True
        if self._cluster:
            await self._client.initialize()  # type: ignore[union-attr]
            lanes = [self._lane(n.name, dict(n.connection_kwargs)) for n in self._client.get_primaries()]  # type: ignore[union-attr]
        else:
            lanes = [self._lane("default", dict(self._client.connection_pool.connection_kwargs))]  # type: ignore[union-attr]
        try:
            for lane in lanes:
                await self._prepare(lane, lane.pipes[0])
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        self._running = False
        lanes, self._lanes = list(self._lanes.values()), {}
        tasks = [t for lane in lanes for t in lane.tasks]
        if self._refreshing is not None:
            tasks.append(self._refreshing)
        await cancel_and_wait(*tasks)
        for lane in lanes:
            for pipe in lane.pipes:
                pipe.close()
            while lane.queue:
                self._fail(lane.queue.popleft(), RedisConnectionError("flash-sale core is shutting down"))

    def call(self, command: bytes, slot: int = 0) -> asyncio.Future[Any]:
        """Queue one packed EVALSHA of this script (its keys in ``slot``); the future gets its reply."""
        if not self._running:
            raise RuntimeError("coalescer not started")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._enqueue(Call(command, fut, slot, loop.time() + self._retry_s))
        return fut

    async def run(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """One call of any script, coalesced like the buys (and as durable)."""
        command, slot = script.command(keys, args)
        return await self.call(command, slot)

    def _enqueue(self, call: Call) -> None:
        lane = self._route(call.slot)
        lane.queue.append(call)
        lane.wake.set()

    def _route(self, slot: int) -> Lane:
        if not self._cluster:
            return self._lanes["default"]
        node = self._client.nodes_manager.get_node_from_slot(slot)  # type: ignore[union-attr]
        return self._lanes.get(node.name) or self._lane(node.name, dict(node.connection_kwargs))

    def _lane(self, name: str, kwargs: dict[str, Any]) -> Lane:
        lane = Lane(name, kwargs)
        lane.pipes = [RespPipe(kwargs) for _ in range(self._senders)]
        lane.tasks = [asyncio.create_task(self._run(lane, pipe), name=f"coalescer-{name}-{i}")
                      for i, pipe in enumerate(lane.pipes)]
        self._lanes[name] = lane
        return lane

    async def _run(self, lane: Lane, pipe: RespPipe) -> None:
        queue = lane.queue
        while True:
            if not queue:
                lane.wake.clear()
                await lane.wake.wait()
                continue
            batch = [queue.popleft() for _ in range(min(len(queue), self._max_batch))]
            try:
                await self._send(lane, pipe, batch)
            except asyncio.CancelledError:
                for call in batch:
                    self._fail(call, RedisConnectionError("flash-sale core is shutting down"))
                raise
            except Exception as exc:  # noqa: BLE001 - every caller must hear about it
                log.warning("script batch of %d failed: %r", len(batch), exc)
                for call in batch:
                    self._fail(call, exc)
                reraise_if_cancelling()

    async def _send(self, lane: Lane, pipe: RespPipe, batch: list[Call]) -> None:
        self.batches += 1
        self.calls += len(batch)
        if not lane.prepared:  # a master that appeared later (failover)
            try:
                await self._prepare(lane, pipe)
            except RuntimeError as exc:
                raise NotDurable(str(exc)) from exc
        suffix = lane.suffix
        payload = b"".join(call.command for call in batch)
        try:
            results = await pipe.execute(payload + suffix if suffix else payload, len(batch) + bool(suffix))
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            await self._retry(batch, exc)
            return
        durable_error: Exception | None = None
        if suffix:
            try:
                self.durability.check(results.pop())
            except Exception as exc:  # noqa: BLE001 - handed to the callers below
                durable_error = exc
        if any(is_noscript(r) for r in results):
            loads = [pack_command(["SCRIPT", "LOAD", script.source]) for script in self._scripts]
            await pipe.execute(b"".join(loads), len(loads))  # the node restarted or was promoted
        again: list[Call] = []
        for call, result in zip(batch, results, strict=True):
            if is_noscript(result) or _redirected(result):
                again.append(call)
            elif isinstance(result, Exception):
                self._fail(call, result)
            elif durable_error is not None:
                self._fail(call, durable_error)
            elif not call.fut.done():
                call.fut.set_result(result)
        if again:
            await self._retry(again, None, refresh=any(_redirected(r) for r in results))

    async def _retry(self, calls: list[Call], exc: Exception | None, refresh: bool = True) -> None:
        """Send again what has time left (after a fresh slot map on a cluster); fail the rest."""
        now = asyncio.get_running_loop().time()
        todo: list[Call] = []
        for call in calls:
            call.attempts += 1
            if call.fut.done():
                continue
            if now >= call.deadline and call.attempts > 1:
                self._fail(call, exc or RedisConnectionError("Redis kept redirecting the call"))
            else:
                todo.append(call)
        if not todo:
            return
        self.rerouted += len(todo)
        if self._cluster and refresh:
            await self._refresh()
        else:
            await asyncio.sleep(0.05)
        for call in todo:
            self._enqueue(call)

    async def _refresh(self) -> None:
        """One slot-map refresh at a time, shared by every lane that noticed a change."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._do_refresh(), name="coalescer-slot-refresh")
        await asyncio.shield(self._refreshing)

    async def _do_refresh(self) -> None:
        await asyncio.sleep(0.1)  # a failover in progress needs a moment before the map settles
        try:
            await self._client.nodes_manager.initialize()  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - the next retry refreshes again
            reraise_if_cancelling()
            log.warning("could not refresh the cluster slot map: %r", exc)
            await asyncio.sleep(0.2)

    async def _prepare(self, lane: Lane, pipe: RespPipe) -> None:
        """Decide once per node what to append to each batch for the durability level."""
        async with lane.prepare_lock:
            if not lane.prepared:
                lane.suffix = await self.durability.suffix_for(pipe)
                lane.prepared = True

    @staticmethod
    def _fail(call: Call, exc: BaseException) -> None:
        if not call.fut.done():
            call.fut.set_exception(exc)
