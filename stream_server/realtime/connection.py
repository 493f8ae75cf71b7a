"""One websocket client: a bounded outbound queue drained by its own writer task.

The room never waits for a client: a broadcast only appends to each queue. A client whose
queue is full (it stopped reading, or reads slower than the room talks) is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from aiohttp import WSMsgType, web

__all__ = ["ClientConn"]

log = logging.getLogger(__name__)

_SEND_TIMEOUT_S = 5.0


class ClientConn:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.BaseTransport | None,
        *,
        user_id: str,
        nickname: str,
        is_host: bool,
        queue_size: int,
    ) -> None:
        self.ws = ws
        self._transport = transport
        self.user_id = user_id
        self.nickname = nickname
        self.is_host = is_host
        self._queue: deque[bytes] = deque()
        self._max = queue_size
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dropped: str | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._write_loop(), name=f"ws-writer-{self.user_id}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def offer(self, frame: bytes) -> bool:
        """Queue one message; False (and the client is dropped) when it cannot keep up."""
        if self.dropped is not None:
            return False
        if len(self._queue) >= self._max:
            self.drop("too slow: outbound queue full")
            return False
        self._queue.append(frame)
        self._wake.set()
        return True

    def drop(self, reason: str) -> None:
        if self.dropped is None:
            self.dropped = reason
            self._queue.clear()
            self._wake.set()
            log.info("dropping websocket client %s: %s", self.user_id, reason)
            asyncio.get_running_loop().create_task(self._close(reason))

    async def _close(self, reason: str) -> None:
        try:
            await asyncio.wait_for(self.ws.close(code=1013 if "slow" in reason else 1008,
                                                 message=reason[:100].encode()), 2.0)
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        # a reader that never reads never sees the close frame: cut the transport too
        if self._transport is not None and not self._transport.is_closing():
            self._transport.abort()  # type: ignore[attr-defined]

    async def _write_loop(self) -> None:
        queue = self._queue
        while self.dropped is None:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            frame = queue.popleft()
            try:
                await asyncio.wait_for(self.ws.send_frame(frame, WSMsgType.TEXT), _SEND_TIMEOUT_S)
            except TimeoutError:
                self.drop("too slow: send timed out")
            except (ConnectionError, RuntimeError):
                self.dropped = "gone"
