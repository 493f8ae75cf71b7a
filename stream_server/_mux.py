"""MediaPackets -> a NUT byte stream for ffmpeg's stdin, with PyAV (no encoding, only muxing).

NUT carries H.264, VP8 and Opus with exact timestamps, and with the stream parameters in its
header ffmpeg starts without probing (``-probesize 32``): the first segment is not delayed.
"""

from __future__ import annotations

from fractions import Fraction

import av

from stream_server.types import Kind, MediaPacket, TrackInfo

__all__ = ["NutMuxer"]

_CODEC = {"H264": "h264", "VP8": "vp8"}
#: a nominal frame rate for the header: timestamps stay exact, but an encoder (VP8 -> H.264) needs a
#: rate to pick its level and rate control; without one ffmpeg assumes 90,000 fps
_RATE_HINT = 30


class _Buffer:
    """The file object PyAV writes to: we take the bytes after each packet."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = bytes(self.data)
        self.data.clear()
        return out


class NutMuxer:
    def __init__(self, tracks: dict[Kind, TrackInfo], width: int, height: int) -> None:
        self._buffer = _Buffer()
        self._container = av.open(self._buffer, "w", format="nut")
        self._streams: dict[Kind, av.stream.Stream] = {}
        self._last: dict[Kind, int] = {}
        video = tracks.get("video")
        if video is not None:
            self._streams["video"] = self._container.add_mux_stream(
                _CODEC[video.codec], rate=_RATE_HINT, width=width, height=height, time_base=Fraction(1, 90_000))
        if "audio" in tracks:
            # a (never used) encoder context gives the header Opus' channel layout and OpusHead
            audio = self._container.add_stream("libopus", rate=48_000, layout="stereo")
            audio.time_base = Fraction(1, 48_000)
            self._streams["audio"] = audio

    def mux(self, pkt: MediaPacket) -> bytes:
        stream = self._streams.get(pkt.kind)
        if stream is None or pkt.pts <= self._last.get(pkt.kind, -1):
            return b""
        self._last[pkt.kind] = pkt.pts
        packet = av.Packet(pkt.data)
        packet.stream = stream
        packet.pts = packet.dts = pkt.pts
        packet.time_base = pkt.time_base
        packet.is_keyframe = pkt.keyframe or pkt.kind == "audio"
        self._container.mux(packet)
        return self._buffer.take()

    def close(self) -> bytes:
        try:
            self._container.close()
        except av.FFmpegError:
            pass
        return self._buffer.take()
