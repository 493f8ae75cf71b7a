"""The room's cover thumbnail: one keyframe decoded every few seconds, in a thread, as a JPEG.

Decoding one keyframe per interval costs a few milliseconds; decoding the whole stream to pick
frames (what an ffmpeg thumbnail output would do) would cost a share of a core per room.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from flash_sale.tasks import cancel_and_wait
from stream_server._media import decode_keyframe, jpeg_thumbnail, write_atomic
from stream_server.stream import Stream

__all__ = ["CoverMaker"]

log = logging.getLogger(__name__)


class CoverMaker:
    def __init__(self, stream: Stream, path: Path, interval_s: float, width: int,
                 on_first: Callable[[], Awaitable[None]] | None = None) -> None:
        self._stream = stream
        self._path = path
        self._interval = interval_s
        self._width = width
        self._on_first = on_first
        self._task: asyncio.Task[None] | None = None
        self.jpeg: bytes | None = None

    def start(self) -> None:
        if "video" in self._stream.tracks:
            self._task = asyncio.create_task(self._loop(), name=f"cover-{self._stream.room_id}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _loop(self) -> None:
        while not self._stream.closed:
            sub = self._stream.subscribe(["video"], maxsize=8, ask_keyframe=False)
            try:
                pkt = await sub.get()
            finally:
                sub.close()
            if pkt is None:
                return
            try:
                jpeg = await asyncio.to_thread(self._make, pkt.codec, pkt.data)
            except Exception:
                log.exception("cover of room %s failed", self._stream.room_id)
                jpeg = None
            if jpeg:
                first = self.jpeg is None
                self.jpeg = jpeg
                if first and self._on_first is not None:
                    await self._on_first()
            await asyncio.sleep(self._interval)

    def _make(self, codec: str, data: bytes) -> bytes | None:
        frame = decode_keyframe(codec, data)
        if frame is None:
            return None
        jpeg = jpeg_thumbnail(frame, self._width)
        write_atomic(self._path, jpeg)
        return jpeg
