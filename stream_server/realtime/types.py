"""Types of the realtime plane and the one interface it needs from the rooms it serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["RoomInfo", "RoomDirectory", "Limits", "PinSource", "SaleFeed"]


@dataclass(frozen=True, slots=True)
class RoomInfo:
    id: str
    store_id: str
    status: str  # created | live | ended


class RoomDirectory(Protocol):
    """Where rooms come from (the stream server's room registry), declared by the consumer."""

    async def get_room(self, room_id: str) -> RoomInfo | None: ...

    async def set_pinned(self, room_id: str, pinned: dict[str, Any] | None) -> None:
        """Record what is pinned, for the room API (``GET /api/v1/rooms/{id}``)."""
        ...

    async def set_viewers(self, room_id: str, count: int) -> None: ...


class PinSource(Protocol):
    """Public views of products and flash sales, for the pinned card."""

    async def product(self, sku: str) -> dict[str, Any] | None: ...

    async def flash_sale(self, sale_id: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep one client from hurting the room."""

    max_message_bytes: int = 2048
    outbound_buffer: int = 256 * 1024  # bytes waiting for one slow client before it is dropped
    chat_per_10s: int = 5              # per user, across that user's connections in this process
    likes_per_s: int = 5               # likes broadcasts per second per room
    stock_interval_s: float = 0.5      # how often a pinned sale's stock is looked at
    viewers_interval_s: float = 1.0
    max_likes_per_message: int = 50


class SaleFeed(Protocol):
    """Live figures of flash sales (implemented by the flash-sale core), read a few times a second."""

    async def remaining(self, sale_ids: list[str]) -> dict[str, int]: ...

    async def purchases(self, sale_id: str, after: str | None, limit: int) -> tuple[list[tuple[str, str]], str]:
        """New purchases (nickname, sku) after a cursor, and the next cursor (None: start now)."""
        ...
