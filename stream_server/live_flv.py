"""What HTTP-FLV viewers of one room read: a GOP cache and the same bytes fanned out to everyone.

A new viewer first gets the FLV header, onMetaData and both sequence headers, then the tags from
the last video keyframe on, so a decoder starts at once (no wait for the next keyframe). Live tags
are framed as one HTTP chunk once and written to every viewer's transport without awaiting: a
viewer whose unsent bytes pass ``max_pending`` is dropped, never buffered without bound, and it
never slows the room or the others.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from stream_server._flv_tags import TAG_SCRIPT, FlvTag

__all__ = ["FlvViewer", "LiveFlv", "chunk"]

MAX_PENDING = 4 * 1024 * 1024
MAX_GOP_BYTES = 8 * 1024 * 1024


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...
    def get_write_buffer_size(self) -> int: ...
    def is_closing(self) -> bool: ...
    def abort(self) -> None: ...


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk (the response is chunked; live writes bypass aiohttp's writer)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


class FlvViewer:
    """One viewer: its transport, the chunks that came while its first burst was being written."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.backlog: list[bytes] | None = []  # None once live: chunks go straight to the transport
        self.backlog_bytes = 0
        self.done = asyncio.Event()
        self.dropped = False


class LiveFlv:
    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self.max_pending = max_pending
        self.header: bytes | None = None
        self.metadata: bytes = b""
        self.sequence_headers: dict[int, bytes] = {}
        self._gop: list[bytes] = []
        self._gop_bytes = 0
        self.viewers: set[FlvViewer] = set()
        self.dropped = 0
        self.ended = False

    @property
    def ready(self) -> bool:
        """A viewer can start: a header and a keyframe have been seen."""
        return self.header is not None and bool(self._gop)

    def start_run(self, header: bytes) -> None:
        """A new ffmpeg output: its timestamps and headers start over, so current viewers are ended
        (players reconnect) and the cache is emptied."""
        self._end_viewers()
        self.header, self.metadata = header, b""
        self.sequence_headers.clear()
        self._gop.clear()
        self._gop_bytes = 0

    def add_tags(self, tags: list[FlvTag]) -> None:
        """Tags of one read of ffmpeg's output: cached one by one, sent to viewers as one chunk."""
        for tag in tags:
            self._cache(tag)
        if tags:
            self.broadcast(chunk(b"".join(tag.data for tag in tags)))

    def _cache(self, tag: FlvTag) -> None:
        if tag.kind == TAG_SCRIPT:
            self.metadata = tag.data
        elif tag.is_sequence_header:
            self.sequence_headers[tag.kind] = tag.data
        elif tag.is_keyframe:
            self._gop, self._gop_bytes = [tag.data], len(tag.data)
        elif self._gop:
            self._gop.append(tag.data)
            self._gop_bytes += len(tag.data)
            if self._gop_bytes > MAX_GOP_BYTES:  # no keyframes coming: stop caching until one does
                self._gop.clear()
                self._gop_bytes = 0

    def first_burst(self) -> bytes:
        """What a joining viewer gets first, in one write."""
        return b"".join([self.header or b"", self.metadata, *self.sequence_headers.values(), *self._gop])

    def join(self, transport: Transport) -> FlvViewer:
        viewer = FlvViewer(transport)
        self.viewers.add(viewer)
        return viewer

    def go_live(self, viewer: FlvViewer) -> None:
        """The first burst is out: flush what came meanwhile, then write directly."""
        backlog, viewer.backlog = viewer.backlog or [], None
        for data in backlog:
            self._send(viewer, data)

    def broadcast(self, data: bytes) -> None:
        for viewer in tuple(self.viewers):
            if viewer.backlog is not None:
                viewer.backlog.append(data)
                viewer.backlog_bytes += len(data)
                if viewer.backlog_bytes > self.max_pending:
                    self.drop(viewer)
            else:
                self._send(viewer, data)

    def _send(self, viewer: FlvViewer, data: bytes) -> None:
        transport = viewer.transport
        if transport.is_closing():
            self.leave(viewer)
        elif transport.get_write_buffer_size() + len(data) > self.max_pending:
            self.drop(viewer)
        else:
            transport.write(data)

    def drop(self, viewer: FlvViewer) -> None:
        """A viewer too slow to keep up: its connection is cut (it may reconnect)."""
        if viewer in self.viewers:
            self.dropped += 1
            viewer.dropped = True
            viewer.transport.abort()
            self.leave(viewer)

    def leave(self, viewer: FlvViewer) -> None:
        self.viewers.discard(viewer)
        viewer.done.set()

    def _end_viewers(self) -> None:
        for viewer in tuple(self.viewers):
            self.leave(viewer)

    def finish(self) -> None:
        """The room ended: every viewer's response is closed."""
        self.ended = True
        self._end_viewers()
