"""Small media chores done in-process with PyAV, each on one keyframe: size probe and cover JPEG."""

from __future__ import annotations

import io
import os
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
from av.video.codeccontext import VideoCodecContext

__all__ = ["decode_keyframe", "jpeg_thumbnail", "ts_duration", "write_atomic"]

_DECODER = {"H264": "h264", "VP8": "vp8"}


def decode_keyframe(codec: str, data: bytes) -> av.VideoFrame | None:
    """Decode one self-contained keyframe (SPS/PPS included, as WebRTC senders send them)."""
    try:
        ctx = cast(VideoCodecContext, av.CodecContext.create(_DECODER[codec], "r"))
        frames = list(ctx.decode(av.Packet(data)))
        frames += list(ctx.decode(None))
    except (KeyError, av.FFmpegError):
        return None
    return frames[0] if frames else None  # type: ignore[return-value]


def jpeg_thumbnail(frame: av.VideoFrame, width: int) -> bytes:
    height = max(2, round(frame.height * width / max(1, frame.width) / 2) * 2)
    small = frame.reformat(width=width, height=height, format="yuvj420p")
    enc = av.CodecContext.create("mjpeg", "w")
    enc.width, enc.height, enc.pix_fmt = width, height, "yuvj420p"
    enc.time_base = Fraction(1, 25)
    small.pts = 0
    return b"".join(bytes(p) for p in [*enc.encode(small), *enc.encode(None)])


def ts_duration(data: bytes) -> float | None:
    """Duration of an MPEG-TS segment from its video timestamps (demuxed, not decoded), the last
    frame's display time included; None if it has no video."""
    pts: list[float] = []
    try:
        with av.open(io.BytesIO(data), mode="r", format="mpegts") as container:
            if not container.streams.video:
                return None
            for packet in container.demux(container.streams.video[0]):
                if packet.pts is not None and packet.time_base is not None:
                    pts.append(float(packet.pts * packet.time_base))
    except av.FFmpegError:
        return None
    if len(pts) < 2:
        return None
    pts.sort()
    return pts[-1] - pts[0] + (pts[-1] - pts[0]) / (len(pts) - 1)


def write_atomic(path: Path, data: bytes) -> None:
    """Readers (other processes, nginx) see the old file or the new one, never a partial one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
