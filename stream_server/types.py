"""Types named once for the whole package: the internal media packet, room records, statuses.

Every protocol converts to or from ``MediaPacket``; nothing else crosses between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Literal

__all__ = ["AUDIO_TIME_BASE", "Kind", "MediaPacket", "Room", "RoomStatus", "TrackInfo", "VIDEO_TIME_BASE"]

Kind = Literal["audio", "video"]

VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_TIME_BASE = Fraction(1, 48_000)


class RoomStatus(StrEnum):
    CREATED = "created"
    LIVE = "live"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class MediaPacket:
    """One encoded frame as it came off the wire: never decoded on its way to ffmpeg or a viewer.

    ``pts`` counts ``time_base`` units on the room's clock (shared by audio and video, anchored
    at the arrival of the first packet), so the two tracks stay in sync without RTCP reports.
    """

    kind: Kind
    codec: str  # "H264", "VP8" or "opus" (aiortc's names)
    data: bytes
    pts: int
    time_base: Fraction
    keyframe: bool
    arrival: float  # time.monotonic() when the frame was complete


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """What a publisher negotiated for one kind: enough for muxers and WHEP answers."""

    kind: Kind
    codec: str


@dataclass(frozen=True, slots=True)
class Room:
    """A room record as stored in Redis (the stream key included: callers decide what to show)."""

    id: str
    store_id: str
    title: str
    status: RoomStatus
    stream_key: str
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    pinned: object | None = None
    viewers: int = 0
    has_cover: bool = False
    has_replay: bool = False
    #: external RTMP origins this room is pushed to (full URLs: credentials included)
    forward: tuple[str, ...] = ()
    #: the forwards' last health as reported by the process running the room (redacted targets)
    forward_state: tuple[dict[str, object], ...] = ()
