"""HLS out: the room's packets through ffmpeg (once per room) into 1 s MPEG-TS segments.

One ffmpeg "run" reads NUT on stdin and writes an EVENT playlist plus segments into the room's
directory; a watcher picks each new segment up into ``LiveHls``. ffmpeg dying is noticed at once
(its exit closes the feed), logged and answered with a new run after a short backoff; the new run
starts on a fresh keyframe and the playlists mark the seam with a discontinuity. Every ffmpeg is
awaited (reaped) before its run returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from stream_server._ffmpeg import hls_command
from stream_server._media import decode_keyframe
from stream_server._mux import NutMuxer
from stream_server._tasks import collect_stderr, finish_or_cancel, reap, stderr_tail
from stream_server.live_hls import LiveHls
from stream_server.protocols._hls_runs import RunWatcher
from stream_server.stream import Stream, Subscription
from stream_server.types import MediaPacket

__all__ = ["HlsPackager"]

log = logging.getLogger(__name__)

FEED_BACKLOG = 900  # packets (~10 s): ffmpeg further behind than that restarts from a keyframe
STALL_TIMEOUT_S = 5.0
MAX_BACKOFF_S = 5.0


class HlsPackager:
    def __init__(self, stream: Stream, hls: LiveHls, room_dir: Path, ffmpeg: str,
                 segment_s: float = 1.0, poll_s: float = 0.05) -> None:
        self._stream = stream
        self._hls = hls
        self._dir = room_dir
        self._ffmpeg = ffmpeg
        self._segment_s = segment_s
        self._poll_s = poll_s
        self._task: asyncio.Task[None] | None = None
        self.restarts = 0
        self.pid: int | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"hls-{self._stream.room_id}")

    async def stop(self, timeout_s: float = 15.0) -> None:
        """Waits for the last run to finish (the stream must be closed first); kills it if stuck."""
        await finish_or_cancel(self._task, timeout_s)

    async def _supervise(self) -> None:
        run, backoff = 0, 0.5
        while True:
            sub = self._stream.subscribe(tuple(self._stream.tracks), maxsize=FEED_BACKLOG)
            first = await sub.get()
            if first is None:
                return
            try:
                if await self._run(run, sub, first):
                    return
            except OSError:  # ffmpeg could not be started (FFMPEG wrong, out of processes)
                log.exception("HLS packager of room %s could not start ffmpeg", self._stream.room_id)
            finally:
                sub.close()
            self.restarts += 1
            run += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _run(self, run: int, sub: Subscription, first: MediaPacket) -> bool:
        """One ffmpeg process; True when it ended because the stream did (no restart needed)."""
        video = self._stream.tracks.get("video")
        width = height = 0
        if video is not None:
            frame = await asyncio.to_thread(decode_keyframe, first.codec, first.data)
            if frame is not None:
                width, height = frame.width, frame.height
        cmd = hls_command(self._ffmpeg, self._dir, run, video.codec if video else None,
                          "audio" in self._stream.tracks, self._segment_s)
        proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        self.pid = proc.pid
        stderr = bytearray()
        tasks = [asyncio.create_task(collect_stderr(proc, stderr)), asyncio.create_task(proc.wait())]
        tasks[1].add_done_callback(lambda _: sub.close())  # ffmpeg gone: stop feeding at once
        watcher = RunWatcher(self._hls, self._dir, run)
        tasks.append(asyncio.create_task(watcher.watch(self._poll_s)))
        muxer = NutMuxer(self._stream.tracks, width, height)
        clean = False
        try:
            pkt: MediaPacket | None = first
            while pkt is not None and proc.stdin is not None:
                data = muxer.mux(pkt)
                if pkt.kind == "video":
                    watcher.fed(pkt)
                if data:
                    proc.stdin.write(data)
                    await asyncio.wait_for(proc.stdin.drain(), STALL_TIMEOUT_S)
                pkt = await sub.get()
            if proc.returncode is None and proc.stdin is not None:  # the stream ended
                await _cancel(tasks[2])  # the final scan below takes the last segment whole
                proc.stdin.write(muxer.close())
                proc.stdin.close()
                clean = await asyncio.wait_for(proc.wait(), STALL_TIMEOUT_S * 2) == 0
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        finally:
            sub.close()
            await _cancel(tasks[2])
            await reap(proc)
            try:
                await watcher.scan(final=True)
            except OSError:
                log.warning("last scan of room %s failed", self._stream.room_id, exc_info=True)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if not clean:
            log.warning("ffmpeg (room %s, run %d) exited with %s: %s", self._stream.room_id, run,
                        proc.returncode, stderr_tail(stderr))
        return clean or self._stream.closed


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
