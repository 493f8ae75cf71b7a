"""aiortc glue shared by the WebRTC protocols: peer connections, the encoded-frame tap, SDP helpers.

aiortc's receiver hands every complete encoded frame to a decoder thread through a queue; we swap
that queue for one that passes the frame on as it is, so a publisher is never decoded (the thread
stays idle until the receiver stops). Pinned to aiortc 1.x, checked when a tap is installed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import re
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.sdp import SessionDescription

from stream_server.errors import BadOffer

__all__ = [
    "FrameTap",
    "SUPPORTED",
    "accept_any_h264_profile",
    "is_keyframe",
    "new_peer_connection",
    "offered_codecs",
    "prefer_codecs",
    "request_keyframe",
    "restore_h264_profiles",
    "stop_consent_expiry",
]

log = logging.getLogger(__name__)

#: codecs we take, per kind, in order of preference (H.264 first: it passes through to HLS)
SUPPORTED: dict[str, tuple[str, ...]] = {"video": ("H264", "VP8"), "audio": ("opus",)}
_TAPPED_QUEUE = "_RTCRtpReceiver__decoder_queue"
_FMTP = re.compile(r"^a=fmtp:(\d+) (.*)$", re.MULTILINE)
_RTPMAP_H264 = re.compile(r"^a=rtpmap:(\d+) H264/90000", re.MULTILINE | re.IGNORECASE)
_PROFILE = re.compile(r"profile-level-id=([0-9A-Fa-f]{6})")
_BASELINE = "42e01f"


def new_peer_connection() -> RTCPeerConnection:
    """No STUN/TURN: candidates are this host's addresses (a public server sits at a public IP)."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


class FrameTap(queue.Queue):  # type: ignore[type-arg]
    """Stands in for a receiver's decoder queue: frames go to ``sink`` instead of a decoder."""

    def __init__(self, sink: Callable[[str, JitterFrame], None]) -> None:
        super().__init__()
        self._sink = sink

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # the receiver stops: let its (idle) decoder thread exit
            super().put(None)
            return
        codec, frame = item
        try:
            self._sink(codec.name, frame)
        except Exception:  # a consumer's bug must not kill aiortc's RTP handling
            log.exception("frame sink failed")

    @classmethod
    def install(cls, receiver: RTCRtpReceiver, sink: Callable[[str, JitterFrame], None]) -> None:
        """Must run before the connection starts (aiortc starts the decoder thread on connect)."""
        if not isinstance(getattr(receiver, _TAPPED_QUEUE, None), queue.Queue):
            raise RuntimeError("this aiortc version has no decoder queue to tap")
        setattr(receiver, _TAPPED_QUEUE, cls(sink))


def stop_consent_expiry(pc: RTCPeerConnection) -> bool:
    """Stop ICE consent checks (RFC 7675) on a receive-only session once it is connected.

    ffmpeg's WHIP muxer never answers them, so aioice would drop every ffmpeg publisher after
    ~30 s. We only send RTCP back to a publisher, and a publisher that goes away is noticed by
    the absence of media within seconds, so nothing is lost. Returns False if aioice changed.
    """
    stopped = False
    for transceiver in pc.getTransceivers():
        ice = getattr(transceiver.receiver.transport, "transport", None)
        task = getattr(getattr(ice, "_connection", None), "_query_consent_task", None)
        if isinstance(task, asyncio.Task):
            task.cancel()
            stopped = True
    return stopped


def is_keyframe(codec: str, data: bytes) -> bool:
    if codec == "H264":
        i = data.find(b"\x00\x00\x01")
        while i != -1 and i + 3 < len(data):
            if data[i + 3] & 0x1F == 5:  # IDR slice
                return True
            i = data.find(b"\x00\x00\x01", i + 3)
        return False
    if codec == "VP8":
        return bool(data) and not data[0] & 0x01
    return False


def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a PLI to the publisher of ``receiver`` (browsers and OBS answer with a keyframe)."""
    for source in receiver.getSynchronizationSources():
        asyncio.ensure_future(receiver._send_rtcp_pli(source.source))


def offered_codecs(sdp: str) -> dict[str, list[list[str]]]:
    """Codec names of each media section, per kind, in an offer; BadOffer if it does not parse."""
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:  # aiortc raises assorted errors on garbage
        raise BadOffer("not a valid SDP offer") from exc
    found: dict[str, list[list[str]]] = {}
    for media in parsed.media:
        if media.kind in ("audio", "video"):
            found.setdefault(media.kind, []).append([c.name for c in media.rtp.codecs])
    if not found:
        raise BadOffer("no audio or video section")
    return found


def accept_any_h264_profile(offer: str) -> tuple[str, dict[str, str]]:
    """aiortc only negotiates baseline H.264, but we never decode the publisher's video, so any
    profile will do: present each H.264 payload type as baseline, remember what was offered."""
    h264 = set(_RTPMAP_H264.findall(offer))
    original: dict[str, str] = {}

    def munge(m: re.Match[str]) -> str:
        pt, params = m.group(1), m.group(2)
        prof = _PROFILE.search(params)
        if pt not in h264 or prof is None:
            return m.group(0)
        original[pt] = prof.group(1)
        return f"a=fmtp:{pt} " + _PROFILE.sub(f"profile-level-id={_BASELINE}", params)

    return _FMTP.sub(munge, offer), original


def restore_h264_profiles(answer: str, original: dict[str, str]) -> str:
    """Echo the publisher's own profile in the answer for the payload type we accepted."""

    def restore(m: re.Match[str]) -> str:
        pt, params = m.group(1), m.group(2)
        if pt not in original:
            return m.group(0)
        return f"a=fmtp:{pt} " + _PROFILE.sub(f"profile-level-id={original[pt]}", params)

    return _FMTP.sub(restore, answer)


def prefer_codecs(transceiver: RTCRtpTransceiver, names: tuple[str, ...]) -> None:
    """Restrict a transceiver to ``names`` in that order (plus RTX, for retransmissions)."""
    capabilities = RTCRtpReceiver.getCapabilities(transceiver.kind)
    caps = capabilities.codecs if capabilities is not None else []
    chosen: list[RTCRtpCodecCapability] = []
    for name in names:
        same = [c for c in caps if c.name.lower() == name.lower()]
        # constrained baseline first: the H.264 every WebRTC stack offers
        same.sort(key=lambda c: c.parameters.get("profile-level-id") != _BASELINE)
        chosen += same
    chosen += [c for c in caps if c.name.lower() == "rtx"][:1]
    transceiver.setCodecPreferences(chosen)
