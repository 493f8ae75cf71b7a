"""Stopping background loops: a lost cancellation must not hang shutdown."""

from __future__ import annotations

import asyncio

from flash_sale.tasks import cancel_and_wait


async def test_a_task_that_swallows_its_first_cancellation_is_cancelled_again() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                if swallowed == 0:  # what a timeout context racing an outside cancel does in 3.11
                    swallowed += 1
                    asyncio.current_task().uncancel()  # type: ignore[union-attr]
                    continue
                raise

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0.01)
    await asyncio.wait_for(cancel_and_wait(task, None), 3)
    assert task.cancelled() and swallowed == 1


async def test_failed_and_finished_tasks_are_collected_quietly() -> None:
    async def boom() -> None:
        raise RuntimeError("x")

    failed = asyncio.create_task(boom())
    done = asyncio.create_task(asyncio.sleep(0))
    await asyncio.sleep(0.01)
    await cancel_and_wait(failed, done)
    assert failed.done() and done.done()
