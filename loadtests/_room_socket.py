"""A room websocket for locust users (``websockets``' sync client, green under locust's gevent).

Messages are read on the client's own background thread; the user keeps only counts and the
latest stock figure, so thousands of sockets cost little memory. Connect and close are reported
to locust as requests named ``WS /ws/rooms/[room]``.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from websockets.sync.client import ClientConnection, connect

__all__ = ["RoomSocket"]


class RoomSocket:
    def __init__(self, environment: Any, ws_url: str) -> None:
        self._env = environment
        self._url = ws_url
        self._conn: ClientConnection | None = None
        self._reader: threading.Thread | None = None
        self.received: dict[str, int] = {}
        self.remaining: int | None = None

    @classmethod
    def join(cls, environment: Any, base_url: str, room: str, token: str) -> RoomSocket:
        """Open the room's websocket the way the player does (the token in the query)."""
        ws_base = base_url.replace("http://", "ws://").replace("https://", "wss://")
        sock = cls(environment, f"{ws_base}/ws/rooms/{room}?token={token}")
        sock.open()
        return sock

    def open(self) -> bool:
        start = time.perf_counter()
        exc: Exception | None = None
        try:
            self._conn = connect(self._url, open_timeout=30, close_timeout=1, max_size=2**20)
        except Exception as e:  # noqa: BLE001 - reported to locust as a failed request
            exc = e
        self._env.events.request.fire(request_type="WS", name="/ws/rooms/[room]", response_time=(
            time.perf_counter() - start) * 1000, response_length=0, exception=exc, context={})
        if self._conn is None:
            return False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return True

    def _read(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            for raw in conn:
                text = raw if isinstance(raw, str) else raw.decode()
                # the server frames {"type": ..., ...} with the type first: count without parsing, so
                # thousands of sockets cost the load generator little; parse only the stock figure
                kind = text[9:text.find('"', 9)] if text.startswith('{"type":"') else str(json.loads(text).get("type"))
                self.received[kind] = self.received.get(kind, 0) + 1
                if kind == "stock":
                    self.remaining = json.loads(text).get("remaining")
        except Exception:  # noqa: BLE001, S110 - the server closed or dropped us; counted by the caller
            pass

    def send(self, **message: Any) -> bool:
        if self._conn is None:
            return False
        start = time.perf_counter()
        exc: Exception | None = None
        try:
            self._conn.send(json.dumps(message))
        except Exception as e:  # noqa: BLE001
            exc = e
        self._env.events.request.fire(request_type="WS", name=f"send {message.get('type')}", response_time=(
            time.perf_counter() - start) * 1000, response_length=0, exception=exc, context={})
        return exc is None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001, S110
                pass
