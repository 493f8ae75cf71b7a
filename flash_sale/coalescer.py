"""Coalesces concurrent calls of one script into pipelined round trips.

Under a burst, thousands of handlers want the buy script at once. Each handler appends its
call and awaits a future; a few sender tasks take everything queued and send it as one
pipeline. Idle, a call goes out on the next loop iteration; busy, one round trip carries
hundreds of decisions. Redis still runs each script atomically, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flash_sale._resp import RespPipe
from flash_sale.scripts import Script, is_noscript
from flash_sale.tasks import reraise_if_cancelling

__all__ = ["Coalescer"]

log = logging.getLogger(__name__)

_Call = tuple[bytes, "asyncio.Future[Any]"]


class Coalescer:
    """Owner of the sender tasks for one script; ``start()``/``stop()`` bound their life.

    Calls must be idempotent (the buy script is, through its idempotency key): after a
    dropped connection a batch is sent once more before its callers see the error.
    """

    def __init__(
        self, client: aioredis.Redis, script: Script, *, senders: int = 4, max_batch: int = 512
    ) -> None:
        self._client = client
        self._script = script
        self._senders = senders
        self._max_batch = max_batch
        self._queue: deque[_Call] = deque()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._pipes: list[RespPipe] = []
        self.batches = 0
        self.calls = 0

    async def start(self) -> None:
        self._pipes = [RespPipe(self._client) for _ in range(self._senders)]
        self._tasks = [
            asyncio.create_task(self._run(pipe), name=f"coalescer-{self._script.name}-{i}")
            for i, pipe in enumerate(self._pipes)
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for pipe in self._pipes:
            pipe.close()
        while self._queue:
            _, fut = self._queue.popleft()
            if not fut.done():
                fut.set_exception(RedisConnectionError("flash-sale core is shutting down"))

    def call(self, command: bytes) -> asyncio.Future[Any]:
        """Queue one packed EVALSHA of this script; the future resolves to its reply (or raises)."""
        if not self._tasks:
            raise RuntimeError("coalescer not started")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((command, fut))
        self._wake.set()
        return fut

    async def _run(self, pipe: RespPipe) -> None:
        queue = self._queue
        while True:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            n = min(len(queue), self._max_batch)
            batch = [queue.popleft() for _ in range(n)]
            try:
                await self._send(pipe, batch)
            except asyncio.CancelledError:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(RedisConnectionError("flash-sale core is shutting down"))
                raise
            except Exception as exc:  # noqa: BLE001 - every caller must hear about it
                log.warning("script batch of %d failed: %r", len(batch), exc)
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                reraise_if_cancelling()

    async def _send(self, pipe: RespPipe, batch: list[_Call]) -> None:
        self.batches += 1
        self.calls += len(batch)
        try:
            results = await self._pipeline(pipe, batch)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            await asyncio.sleep(0.05)  # one retry: safe because every call is idempotent
            results = await self._pipeline(pipe, batch)
        if any(is_noscript(r) for r in results):
            await self._script.load(self._client)  # Redis restarted or failed over
            retry = [call for call, r in zip(batch, results, strict=True) if is_noscript(r)]
            again = iter(await self._pipeline(pipe, retry))
            results = [next(again) if is_noscript(r) else r for r in results]
        for (_, fut), result in zip(batch, results, strict=True):
            if fut.done():
                continue
            if isinstance(result, Exception):
                fut.set_exception(result)
            else:
                fut.set_result(result)

    @staticmethod
    async def _pipeline(pipe: RespPipe, batch: list[_Call]) -> list[Any]:
        return await pipe.execute(b"".join(command for command, _ in batch), len(batch))
