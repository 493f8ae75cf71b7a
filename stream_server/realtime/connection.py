"""One websocket client, written to directly from the room's fan-out.

A broadcast is framed once (server-to-client frames are unmasked, so every client gets the
same bytes) and handed to each client's transport: no task, no copy, no encode per viewer.
The transport's write buffer is the client's bounded outbound queue: a client that lets it
grow past ``max_buffer`` bytes (it stopped reading, or reads slower than the room talks) is
dropped, so the room never waits for anyone.
"""

from __future__ import annotations

import asyncio
import logging
import struct

from aiohttp import web

__all__ = ["ClientConn", "ws_frame"]

log = logging.getLogger(__name__)


def ws_frame(payload: bytes) -> bytes:
    """A final, unmasked text frame (RFC 6455 section 5.2) carrying ``payload``."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


class ClientConn:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.BaseTransport | None,
        *,
        user_id: str,
        nickname: str,
        is_host: bool,
        max_buffer: int,
    ) -> None:
        self.ws = ws
        self._transport = transport
        self.user_id = user_id
        self.nickname = nickname
        self.is_host = is_host
        self._max = max_buffer
        self.dropped: str | None = None

    def offer_frame(self, frame: bytes) -> bool:
        """Send one pre-built frame; False (and the client is dropped) when it cannot keep up."""
        if self.dropped is not None:
            return False
        transport = self._transport
        if transport is None or transport.is_closing():
            self.dropped = "gone"
            return False
        if transport.get_write_buffer_size() > self._max:  # type: ignore[attr-defined]
            self.drop("too slow: outbound buffer full")
            return False
        transport.write(frame)  # type: ignore[attr-defined]
        return True

    def offer(self, payload: bytes) -> bool:
        return self.offer_frame(ws_frame(payload))

    def drop(self, reason: str) -> None:
        if self.dropped is None:
            self.dropped = reason
            log.info("dropping websocket client %s: %s", self.user_id, reason)
            if self._transport is not None and not self._transport.is_closing():
                self._transport.abort()  # type: ignore[attr-defined]
