"""Helpers for background loops that must outlive Redis hiccups but never outlive a stop()."""

from __future__ import annotations

import asyncio

__all__ = ["reraise_if_cancelling"]


def reraise_if_cancelling() -> None:
    """Raise CancelledError when the current task is being cancelled.

    redis-py can surface a cancellation as ``ConnectionError``; a loop that catches
    ``Exception`` to survive a Redis restart would then swallow its own ``stop()`` and spin
    forever. Call this first in such an ``except`` branch.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
