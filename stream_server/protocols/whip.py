"""WHIP ingest (RFC 9725): a publisher's WebRTC session turned into MediaPackets, never decoded.

aiortc terminates ICE, DTLS and SRTP and reassembles frames in its jitter buffers; the frame tap
(``_rtc.FrameTap``) hands each complete encoded frame here, where it gets the room's clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import cast

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.jitterbuffer import JitterFrame
from aiortc.sdp import SessionDescription

from stream_server._rtc import (
    SUPPORTED,
    FrameTap,
    accept_any_h264_profile,
    is_keyframe,
    new_peer_connection,
    offered_codecs,
    prefer_codecs,
    request_keyframe,
    restore_h264_profiles,
    stop_consent_expiry,
)
from stream_server.errors import BadOffer
from stream_server.types import AUDIO_TIME_BASE, VIDEO_TIME_BASE, Kind, MediaPacket, TrackInfo

__all__ = ["WhipIngest", "check_offer"]

log = logging.getLogger(__name__)


def check_offer(offer: str) -> list[Kind]:
    """The kinds we can take from an offer; BadOffer, before any negotiation, if none or too many."""
    offered = offered_codecs(offer)
    if any(len(sections) > 1 for sections in offered.values()):
        raise BadOffer("one audio and one video section at most")
    usable = [k for k, names in offered.items() if any(n in SUPPORTED[k] for n in names[0])]
    if not usable:
        raise BadOffer("offer needs H264 or VP8 video, or Opus audio")
    return usable  # type: ignore[return-value]


class _Clock:
    """Maps one track's RTP timestamps onto the room clock, anchored at the first arrival."""

    def __init__(self, time_base_hz: int, epoch: float, arrival: float, rtp: int) -> None:
        self.offset = round((arrival - epoch) * time_base_hz) - rtp
        self.last = -1

    def pts(self, rtp: int) -> int | None:
        pts = rtp + self.offset
        if pts <= self.last:
            return None  # late or duplicate frame: muxers need increasing timestamps
        self.last = pts
        return pts


class WhipIngest:
    """One publisher. ``answer`` negotiates; frames then go to ``sink`` (set by the room)."""

    def __init__(self, on_state: Callable[[str], None]) -> None:
        self._pc: RTCPeerConnection | None = None
        self._on_state = on_state
        self.sink: Callable[[MediaPacket], None] | None = None
        self.tracks: list[TrackInfo] = []
        self._epoch: float | None = None
        self._clocks: dict[str, _Clock] = {}

    async def answer(self, offer: str) -> str:
        offered = check_offer(offer)
        munged, profiles = accept_any_h264_profile(offer)
        pc = self._pc = new_peer_connection()
        pc.on("connectionstatechange", lambda: self._state_changed(pc))
        for kind in offered:  # ours, before the offer: aiortc applies preferences when it reads the offer
            transceiver = pc.addTransceiver(kind, direction="recvonly")
            prefer_codecs(transceiver, SUPPORTED[kind])
            FrameTap.install(transceiver.receiver, partial(self._on_frame, kind))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(munged, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc: ValueError / OperationError on what it cannot take
            raise BadOffer(f"cannot negotiate this offer ({exc})") from exc
        answer = pc.localDescription.sdp
        self.tracks = _negotiated(answer)
        if not self.tracks:
            raise BadOffer("nothing to receive in this offer")
        return restore_h264_profiles(answer, profiles)

    def _state_changed(self, pc: RTCPeerConnection) -> None:
        if pc.connectionState == "connected" and not stop_consent_expiry(pc):
            log.warning("could not stop ICE consent checks: ffmpeg publishers will be cut after ~30 s")
        self._on_state(pc.connectionState)

    def _on_frame(self, kind: Kind, codec: str, frame: JitterFrame) -> None:
        now = time.monotonic()
        if self._epoch is None:
            self._epoch = now
        hz = 90_000 if kind == "video" else 48_000
        clock = self._clocks.get(kind)
        if clock is None:
            clock = self._clocks[kind] = _Clock(hz, self._epoch, now, frame.timestamp)
        pts = clock.pts(frame.timestamp)
        if pts is None or self.sink is None or not frame.data:
            return
        self.sink(MediaPacket(
            kind=kind, codec=codec, data=frame.data, pts=pts,
            time_base=VIDEO_TIME_BASE if kind == "video" else AUDIO_TIME_BASE,
            keyframe=kind == "video" and is_keyframe(codec, frame.data), arrival=now,
        ))

    def request_keyframe(self) -> None:
        if self._pc is None:
            return
        for transceiver in self._pc.getTransceivers():
            if transceiver.kind == "video":
                request_keyframe(transceiver.receiver)

    @property
    def state(self) -> str:
        return self._pc.connectionState if self._pc is not None else "new"

    async def close(self) -> None:
        if self._pc is not None:
            await self._pc.close()


def _negotiated(answer: str) -> list[TrackInfo]:
    """The codec that will flow on each receiving m-line of our answer (its first codec)."""
    tracks: list[TrackInfo] = []
    for media in SessionDescription.parse(answer).media:
        if media.kind in SUPPORTED and media.direction in ("recvonly", "sendrecv") and media.rtp.codecs:
            name = media.rtp.codecs[0].name
            if name in SUPPORTED[media.kind] and all(t.kind != media.kind for t in tracks):
                tracks.append(TrackInfo(cast(Kind, media.kind), name))
    return tracks
