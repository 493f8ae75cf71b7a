"""The coalescer's bookkeeping: a queued call, and the lane (queue, senders, pipes) of one Redis node."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from flash_sale._resp import RespPipe

__all__ = ["Call", "Lane"]


class Call:
    __slots__ = ("command", "fut", "slot", "deadline", "attempts")

    def __init__(self, command: bytes, fut: asyncio.Future[Any], slot: int, deadline: float) -> None:
        self.command, self.fut, self.slot, self.deadline = command, fut, slot, deadline
        self.attempts = 0


class Lane:
    """The calls bound for one Redis node, drained by its sender tasks."""

    def __init__(self, name: str, connection_kwargs: dict[str, Any]) -> None:
        self.name = name
        self.kwargs = connection_kwargs
        self.queue: deque[Call] = deque()
        self.wake = asyncio.Event()
        self.pipes: list[RespPipe] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.suffix: bytes | None = None
        self.prepared = False
        self.prepare_lock = asyncio.Lock()
