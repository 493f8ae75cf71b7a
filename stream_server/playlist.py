"""HLS media playlists: read what ffmpeg writes for each run, write the live window and the replay.

ffmpeg writes one EVENT playlist per run (a run ends when ffmpeg exits or is restarted); we own
the playlists players see, so a restart is one ``#EXT-X-DISCONTINUITY`` rather than a broken
stream, and the replay is every run's segments in order, closed by ``#EXT-X-ENDLIST``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Segment", "parse_segments", "render_live", "render_vod"]


@dataclass(frozen=True, slots=True)
class Segment:
    uri: str
    duration: float
    discontinuity: bool = False  # first segment of a run that follows another run


def parse_segments(text: str) -> list[Segment]:
    """(uri, duration) of each segment of a media playlist, in order; tolerant of unknown tags."""
    segments: list[Segment] = []
    duration: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            try:
                duration = float(line[8:].split(",", 1)[0])
            except ValueError:
                duration = None
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(line, duration))
            duration = None
    return segments


def _target(segments: Sequence[Segment], floor: float) -> int:
    return max(1, round(floor), *(round(s.duration + 0.0001) for s in segments))


def _body(segments: Sequence[Segment]) -> list[str]:
    lines: list[str] = []
    for seg in segments:
        if seg.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXTINF:{seg.duration:.3f},")
        lines.append(seg.uri)
    return lines


def render_live(segments: Sequence[Segment], window: int, target_s: float, ended: bool = False) -> str:
    """The sliding live playlist over all segments so far (``segments`` is the whole history)."""
    start = max(0, len(segments) - window)
    shown = segments[start:]
    discontinuity_seq = sum(1 for s in segments[:start] if s.discontinuity)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{_target(shown, target_s)}",
        f"#EXT-X-MEDIA-SEQUENCE:{start}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_seq}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    lines += _body(shown)
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def render_vod(segments: Sequence[Segment], target_s: float) -> str:
    """The complete recording as a VOD playlist."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{_target(segments, target_s)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        *_body(segments),
        "#EXT-X-ENDLIST",
    ]
    return "\n".join(lines) + "\n"
