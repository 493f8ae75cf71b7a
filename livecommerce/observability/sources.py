"""Glue between the ops overview and the packages it reads: sales, rooms, the ledger's lag."""

from __future__ import annotations

import time
from typing import Any

from flash_sale import FlashSaleCore, LedgerWorker
from flash_sale.routes import sale_view
from stream_server import StreamServer

__all__ = ["SalesForOps", "RoomsForOps", "LedgerLag"]


class SalesForOps:
    def __init__(self, core: FlashSaleCore) -> None:
        self._core = core

    async def active_ids(self) -> list[str]:
        return await self._core.sales.active_ids()

    async def view(self, sale_id: str) -> dict[str, Any]:
        return sale_view(await self._core.sales.snapshot(sale_id))


class RoomsForOps:
    def __init__(self, server: StreamServer) -> None:
        self._server = server

    async def rooms(self, limit: int) -> list[dict[str, Any]]:
        return [{"id": r.id, "store_id": r.store_id, "title": r.title, "status": r.status.value,
                 "viewers": r.viewers, "started_at": r.started_at}
                for r in await self._server.rooms.list_rooms(limit)]

    def ingest(self) -> dict[str, dict[str, Any]]:
        """Figures of the rooms published to this process (another process' rooms have none here)."""
        now = time.monotonic()
        out: dict[str, dict[str, Any]] = {}
        for room_id, room in self._server.live_rooms().items():
            stream = room.stream
            last = stream.last_packet_at if stream is not None else None
            out[room_id] = {
                "fps": round(stream.meter.fps(now), 1) if stream is not None else 0.0,
                "bitrate_bps": round(stream.meter.bitrate_bps(now)) if stream is not None else 0,
                "last_media_age_s": round(now - last, 2) if last is not None else None,
                "hls_viewers": room.hls.viewers(now),
                "flv_viewers": len(room.flv.viewers),
                "whep_viewers": len(room.viewers),
            }
        return out


class LedgerLag:
    """Entries of these sales' streams the ledger has not acknowledged (any process' worker)."""

    def __init__(self, worker: LedgerWorker) -> None:
        self._worker = worker

    async def __call__(self, sale_ids: list[str]) -> int:
        return sum((await self._worker.backlog(sale_ids)).values())
