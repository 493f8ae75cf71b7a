"""Ending a packager's supervising task: let it finish on its own, cancel it if it is stuck."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["finish_or_cancel"]


async def finish_or_cancel(task: asyncio.Task[None] | None, timeout_s: float) -> None:
    """Wait for ``task`` to end (its input must be closed first); cancel it after ``timeout_s``."""
    if task is None:
        return
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout_s)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
