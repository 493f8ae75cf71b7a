"""Forwarding: one live room pushed to an external RTMP origin (an SRS cluster, a CDN), one ffmpeg per target.

The forwarder is a viewer of the room's HTTP-FLV hub (``LiveFlv``): it gets the same headers, GOP
cache and tags as every FLV player, and its ffmpeg only relays them (``-f flv -i pipe:0 -c copy -f
flv rtmp://...``): nothing is encoded twice. The hub's bounds apply: an origin that cannot keep up is
dropped like a slow viewer. Health comes from ffmpeg's ``-progress`` reports: a target is up while the
bytes written to it keep growing. ffmpeg exiting (the origin went away, refused us, or the room's FLV
output restarted) is answered with a new ffmpeg after a backoff (0.5 s doubling to 10 s, reset after a
run of 10 s), until the room ends; every child is reaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import cast

from stream_server._tasks import collect_stderr, finish_or_cancel, reap, stderr_tail
from stream_server.forward_targets import redact
from stream_server.live_flv import LiveFlv

__all__ = ["Forwarder", "forward_command"]

log = logging.getLogger(__name__)

MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0
STABLE_RUN_S = 10.0
PROGRESS_PERIOD_S = 0.5
UP_WITHIN_S = 3.0  # no progress report with more bytes for this long: down
READY_POLL_S = 0.05
EXIT_GRACE_S = 2.0


def forward_command(binary: str, target: str) -> list[str]:
    """FLV on stdin relayed as it is to ``target``; progress reports on stdout."""
    return [binary, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning",
            "-f", "flv", "-i", "pipe:0", "-map", "0", "-c", "copy",
            "-progress", "pipe:1", "-stats_period", f"{PROGRESS_PERIOD_S:g}",
            "-f", "flv", "-flvflags", "no_duration_filesize", "-rw_timeout", "10000000", target]


class _Unchunked:
    """A hub viewer's transport over ffmpeg's stdin: the hub frames live writes as HTTP chunks
    (``%x\\r\\n...\\r\\n``) for its players; ffmpeg gets the FLV bytes inside them."""

    def __init__(self, pipe: asyncio.WriteTransport) -> None:
        self._pipe = pipe

    def write(self, data: bytes) -> None:
        start = data.index(b"\r\n") + 2
        self._pipe.write(memoryview(data)[start:-2])

    def get_write_buffer_size(self) -> int:
        return self._pipe.get_write_buffer_size()

    def is_closing(self) -> bool:
        return self._pipe.is_closing()

    def abort(self) -> None:
        self._pipe.abort()


class Forwarder:
    def __init__(self, room_id: str, flv: LiveFlv, target: str, ffmpeg: str) -> None:
        self.room_id = room_id
        self.target = target
        self.label = redact(target)
        self._flv = flv
        self._ffmpeg = ffmpeg
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.restarts = 0
        self.pid: int | None = None
        self._sent = -1
        self._progress_at = 0.0

    @property
    def up(self) -> bool:
        """ffmpeg runs and reported more bytes written to the origin within the last few seconds."""
        return self.pid is not None and self._sent > 0 and time.monotonic() - self._progress_at < UP_WITHIN_S

    def state(self) -> dict[str, object]:
        return {"target": self.label, "up": self.up, "restarts": self.restarts}

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"forward-{self.room_id}")

    async def stop(self, timeout_s: float = 8.0) -> None:
        self._stopping.set()
        await finish_or_cancel(self._task, timeout_s)

    async def _supervise(self) -> None:
        backoff = MIN_BACKOFF_S
        while not self._stopping.is_set():
            if not await self._wait_ready():
                return
            started = time.monotonic()
            try:
                await self._run()
            except Exception:  # noqa: BLE001 - a forward never takes the room (or its ending) down
                log.exception("forward of room %s to %s failed", self.room_id, self.label)
            if self._stopping.is_set() or self._flv.ended:
                return
            self.restarts += 1
            if time.monotonic() - started > STABLE_RUN_S:
                backoff = MIN_BACKOFF_S
            try:
                await asyncio.wait_for(self._stopping.wait(), backoff)
            except TimeoutError:
                pass
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _wait_ready(self) -> bool:
        """Until the hub has headers and a keyframe; False when the room ended first."""
        while not self._flv.ready:
            if self._stopping.is_set() or self._flv.ended:
                return False
            await asyncio.sleep(READY_POLL_S)
        return not (self._stopping.is_set() or self._flv.ended)

    async def _run(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            *forward_command(self._ffmpeg, self.target), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self.pid, self._sent = proc.pid, -1
        stderr = bytearray()
        helpers = [asyncio.create_task(collect_stderr(proc, stderr)), asyncio.create_task(self._progress(proc))]
        assert proc.stdin is not None
        pipe = cast(asyncio.WriteTransport, proc.stdin.transport)  # uvloop's is no subclass: duck-typed
        viewer = self._flv.join(_Unchunked(pipe))
        waits = [asyncio.create_task(proc.wait()), asyncio.create_task(viewer.done.wait()),
                 asyncio.create_task(self._stopping.wait())]
        try:
            pipe.write(self._flv.first_burst())
            self._flv.go_live(viewer)
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._flv.leave(viewer)
            if not pipe.is_closing():
                pipe.close()  # ffmpeg reads to the end, finishes the FLV stream and exits
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waits[0]), EXIT_GRACE_S)
            await reap(proc)
            self.pid = None
            for task in (*helpers, *waits):
                task.cancel()
            await asyncio.gather(*helpers, *waits, return_exceptions=True)
        if not (self._stopping.is_set() or self._flv.ended):
            log.warning("forward of room %s to %s ended (ffmpeg %s%s): %s", self.room_id, self.label,
                        proc.returncode, ", dropped as too slow" if viewer.dropped else "", stderr_tail(stderr))

    async def _progress(self, proc: asyncio.subprocess.Process) -> None:
        """``total_size=N`` lines of ffmpeg's progress reports: the bytes written to the origin."""
        if proc.stdout is None:
            return
        while line := await proc.stdout.readline():
            key, _, value = line.decode(errors="replace").strip().partition("=")
            if key == "total_size" and value.isdigit() and int(value) > self._sent:
                self._sent, self._progress_at = int(value), time.monotonic()
