"""The ffmpeg command line of the HLS packager, built with ffmpeg-python (never by string pasting)."""

from __future__ import annotations

from pathlib import Path

import ffmpeg

__all__ = ["hls_command", "segment_pattern"]


def segment_pattern(run: int) -> str:
    return f"r{run}_%05d.ts"


def hls_command(binary: str, room_dir: Path, run: int, video_codec: str | None, has_audio: bool,
                segment_s: float) -> list[str]:
    """NUT on stdin -> 1 s MPEG-TS segments and an EVENT playlist for this run.

    H.264 is copied (the publisher's encoding reaches players untouched); VP8 cannot go into
    MPEG-TS, so it is encoded to H.264 here, once for the room, with a keyframe every segment.
    Opus becomes AAC, which every HLS player decodes.
    """
    # no "-fflags nobuffer": it drops the packets read while probing, the first keyframe among them
    source = ffmpeg.input("pipe:0", f="nut", probesize=32, analyzeduration=0)
    codecs: dict[str, object] = {}
    if video_codec == "H264":
        codecs["c:v"] = "copy"
    elif video_codec is not None:
        codecs.update({
            "c:v": "libx264", "preset": "veryfast", "tune": "zerolatency", "pix_fmt": "yuv420p",
            "force_key_frames": f"expr:gte(t,n_forced*{segment_s:g})", "bf": 0,
            "fps_mode": "passthrough",  # encode the frames that came, never duplicates
        })
    if has_audio:
        codecs.update({"c:a": "aac", "b:a": "96k", "ac": 2})
    out = ffmpeg.output(
        source, str(room_dir / f"r{run}.m3u8"), f="hls",
        hls_time=f"{segment_s:g}", hls_list_size=0, hls_playlist_type="event",
        hls_flags="independent_segments+temp_file", hls_segment_type="mpegts",
        hls_segment_filename=str(room_dir / segment_pattern(run)), **codecs,
    )
    # global options first: ffmpeg ignores options trailing the last output
    return [binary, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning", *ffmpeg.get_args(out)]
