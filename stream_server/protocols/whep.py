"""WHEP playback: MediaPackets sent to a WebRTC viewer as they came in, never re-encoded.

A ``PacketTrack`` returns ``av.Packet``s, which aiortc's sender only packetises (and encrypts) per
viewer: every viewer shares the publisher's encoding. A viewer's picture-loss request becomes one
(rate-limited) keyframe request to the publisher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from stream_server._rtc import (
    accept_any_h264_profile,
    new_peer_connection,
    offered_codecs,
    prefer_codecs,
    restore_h264_profiles,
)
from stream_server.errors import BadOffer
from stream_server.stream import Stream, Subscription

__all__ = ["PacketTrack", "WhepEgress"]

log = logging.getLogger(__name__)

#: a viewer further behind than this is cut back to the next keyframe (about 3 s at 30 fps)
VIDEO_BACKLOG = 90
AUDIO_BACKLOG = 150


class PacketTrack(MediaStreamTrack):
    """A track whose frames are the room's encoded packets."""

    def __init__(self, kind: str, subscription: Subscription) -> None:
        super().__init__()
        self.kind = kind
        self._sub = subscription

    async def recv(self) -> av.Packet:  # type: ignore[override]
        pkt = await self._sub.get()
        if pkt is None:
            self.stop()
            raise MediaStreamError
        packet = av.Packet(pkt.data)
        packet.pts = pkt.pts
        packet.time_base = pkt.time_base
        return packet

    def stop(self) -> None:
        self._sub.close()
        super().stop()


class WhepEgress:
    """One viewer's WebRTC session on a room's stream."""

    def __init__(self, stream: Stream, on_state: Callable[[str], None]) -> None:
        self._stream = stream
        self._on_state = on_state
        self._pc: RTCPeerConnection | None = None
        self._tracks: list[PacketTrack] = []

    async def answer(self, offer: str) -> str:
        offered = offered_codecs(offer)
        kinds = [kind for kind in self._stream.tracks if kind in offered]
        for kind in kinds:
            codec = self._stream.tracks[kind].codec
            if len(offered[kind]) > 1 or codec not in offered[kind][0]:
                raise BadOffer(f"this room sends {codec} {kind}: offer one {kind} section accepting it")
        if not kinds:
            raise BadOffer("the offer receives none of this room's tracks")
        munged, profiles = accept_any_h264_profile(offer)
        pc = self._pc = new_peer_connection()
        pc.on("connectionstatechange", lambda: self._on_state(pc.connectionState))
        for kind in kinds:  # ours, before the offer: aiortc applies preferences when it reads the offer
            backlog = VIDEO_BACKLOG if kind == "video" else AUDIO_BACKLOG
            track = PacketTrack(kind, self._stream.subscribe([kind], maxsize=backlog))
            self._tracks.append(track)
            transceiver = pc.addTransceiver(track, direction="sendonly")
            prefer_codecs(transceiver, (self._stream.tracks[kind].codec,))
            transceiver.sender._send_keyframe = self._stream.request_keyframe  # type: ignore[method-assign]
        try:
            await pc.setRemoteDescription(RTCSessionDescription(munged, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            raise BadOffer(f"cannot negotiate this offer ({exc})") from exc
        return restore_h264_profiles(pc.localDescription.sdp, profiles)

    @property
    def state(self) -> str:
        return self._pc.connectionState if self._pc is not None else "new"

    async def close(self) -> None:
        for track in self._tracks:
            track.stop()
        if self._pc is not None:
            await self._pc.close()
