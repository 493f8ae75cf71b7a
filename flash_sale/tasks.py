"""Helpers for background loops that must outlive Redis hiccups but never outlive a stop()."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["cancel_and_wait", "reraise_if_cancelling"]


def reraise_if_cancelling() -> None:
    """Raise CancelledError when the current task is being cancelled.

    redis-py can surface a cancellation as ``ConnectionError``; a loop that catches
    ``Exception`` to survive a Redis restart would then swallow its own ``stop()`` and spin
    forever. Call this first in such an ``except`` branch.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


#: a cancellation can be lost (Python 3.11's timeout contexts may turn an outside cancel arriving with their own
#: deadline into a TimeoutError that a retrying loop then survives): ask again this often until the task ends
RECANCEL_S = 0.5


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel ``tasks`` and wait until every one has ended, cancelling again any that swallowed it."""
    pending = {t for t in tasks if t is not None and not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_S)
    for task in tasks:  # retrieve outcomes so nothing logs "exception was never retrieved"
        if task is not None and not task.cancelled():
            task.exception()
