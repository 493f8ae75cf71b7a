"""Helpers shared by every packager's supervising task and its ffmpeg child (HLS, FLV, forwards).

Ending a task (let it finish on its own, cancel it if stuck), draining a child's stderr so a full
pipe never stalls it, and reaping a child so no zombie is left behind: one copy for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["collect_stderr", "finish_or_cancel", "reap", "stderr_tail"]


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


async def collect_stderr(proc: asyncio.subprocess.Process, tail: bytearray) -> None:
    """Keep draining ffmpeg's stderr (a full pipe would stall it), keeping the last 4 KB."""
    if proc.stderr is None:
        return
    while chunk := await proc.stderr.read(4096):
        tail += chunk
        del tail[:-4096]


def stderr_tail(tail: bytearray, size: int = 600) -> str:
    """The end of what ``collect_stderr`` kept, on one line for the log."""
    return tail[-size:].decode(errors="replace").replace("\n", " | ")


async def reap(proc: asyncio.subprocess.Process, grace_s: float = 3.0) -> None:
    """terminate, then kill; always wait, so no zombie is left behind."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), grace_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
