"""The RTMP listener: ``rtmp://HOST:PORT/live/{room_id}?key=<stream_key>`` into the same rooms as WHIP.

Each connection gets its own ffmpeg (``protocols/rtmp.py``) listening on a free loopback port, and
this owner relays the bytes between the publisher and it. Once ffmpeg names the stream, the room id
and key are checked like a WHIP POST (wrong key, ended or busy room: the connection is closed) and
the room goes live through ``StreamServer.publish``; the publisher leaving ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from flash_sale.tasks import cancel_and_wait
from stream_server._http import ROOM_ID
from stream_server.errors import RoomNotFound, StreamError
from stream_server.protocols.rtmp import RtmpIngest

if TYPE_CHECKING:
    from stream_server.server import StreamServer

__all__ = ["RtmpServer", "parse_stream_name", "rtmp_from_env"]

log = logging.getLogger(__name__)

NAME_TIMEOUT_S = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parse_stream_name(name: str) -> tuple[str, str | None]:
    """``room_id?key=KEY`` -> (room id, key)."""
    room_id, _, query = name.partition("?")
    keys = parse_qs(query).get("key")
    return room_id, keys[0] if keys else None


def rtmp_from_env(server: StreamServer) -> RtmpServer | None:
    """``LC_RTMP_PORT`` (default 1935; 0 disables) on ``LC_RTMP_HOST`` (default all addresses)."""
    port = int(os.environ.get("LC_RTMP_PORT", "1935"))
    return RtmpServer(server, os.environ.get("LC_RTMP_HOST", "0.0.0.0"), port) if port > 0 else None


class RtmpServer:
    def __init__(self, server: StreamServer, host: str, port: int) -> None:
        self._server = server
        self._host, self._port = host, port
        self._listener: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._listener is None or not self._listener.sockets:
            return self._port
        return int(self._listener.sockets[0].getsockname()[1])

    async def start(self) -> None:
        # under ``serve --workers N`` every worker listens: the kernel hands each publisher to one of them
        shared = bool(os.environ.get("LC_WORKER_INDEX")) and self._port > 0
        self._listener = await asyncio.start_server(self._accept, self._host, self._port, reuse_port=shared or None)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        await cancel_and_wait(*self._sessions)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._session(reader, writer))
        self._sessions.add(task)
        task.add_done_callback(self._sessions.discard)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ingest = RtmpIngest(self._server.config.ffmpeg, _free_port())
        relays: list[asyncio.Task[None]] = []
        published = False
        try:
            for _ in range(100):  # ffmpeg takes ~0.1 s to listen
                try:
                    up_reader, up_writer = await asyncio.open_connection("127.0.0.1", ingest.port)
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            else:
                return
            relays = [asyncio.create_task(_pipe(reader, up_writer)), asyncio.create_task(_pipe(up_reader, writer))]
            name = await asyncio.wait_for(asyncio.shield(ingest.stream_name), NAME_TIMEOUT_S)
            room_id, key = parse_stream_name(name)
            if not ROOM_ID.fullmatch(room_id):
                raise RoomNotFound(room_id)
            await self._server.publish(room_id, key, "", ingest=ingest)
            published = True
            log.info("room %s: RTMP publisher accepted", room_id)
            await asyncio.wait(relays, return_when=asyncio.FIRST_COMPLETED)
        except (StreamError, TimeoutError, ConnectionError) as exc:
            log.info("RTMP publisher refused: %s", exc)
        except Exception:  # never let one connection's failure go unlogged
            log.exception("RTMP session failed")
        finally:
            for task in relays:
                task.cancel()
            await asyncio.gather(*relays, return_exceptions=True)
            writer.close()
            if not published:
                await ingest.close()  # a published ingest is closed with its room


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            dst.close()
