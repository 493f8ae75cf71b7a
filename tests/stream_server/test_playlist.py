"""Playlists: what ffmpeg writes is read back exactly; live windows slide; replays close."""

from __future__ import annotations

from stream_server.playlist import Segment, parse_segments, render_live, render_vod

FFMPEG_EVENT = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXTINF:1.000000,
r0_00000.ts
#EXTINF:0.966667,
r0_00001.ts
#EXTINF:bogus,
r0_00002.ts
"""


def test_parse_reads_segments_and_skips_garbage() -> None:
    assert parse_segments(FFMPEG_EVENT) == [Segment("r0_00000.ts", 1.0), Segment("r0_00001.ts", 0.966667)]


def test_live_window_slides_with_sequence_numbers() -> None:
    segs = [Segment(f"r0_{i:05d}.ts", 1.0) for i in range(10)]
    text = render_live(segs, window=3, target_s=1.0)
    assert "#EXT-X-MEDIA-SEQUENCE:7" in text
    assert [line for line in text.splitlines() if line.endswith(".ts")] == ["r0_00007.ts", "r0_00008.ts", "r0_00009.ts"]
    assert "#EXT-X-ENDLIST" not in text
    assert render_live(segs, 3, 1.0, ended=True).rstrip().endswith("#EXT-X-ENDLIST")


def test_discontinuity_sequence_counts_seams_that_left_the_window() -> None:
    segs = [Segment("r0_00000.ts", 1.0), Segment("r1_00000.ts", 1.0, True), Segment("r1_00001.ts", 1.0),
            Segment("r2_00000.ts", 1.0, True), Segment("r2_00001.ts", 1.0)]
    text = render_live(segs, window=1, target_s=1.0)
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:2" in text and "#EXT-X-DISCONTINUITY\n" not in text
    # a seam still in the window keeps its tag: its segment's number is the base + 1
    text = render_live(segs, window=2, target_s=1.0)
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:1" in text and text.count("#EXT-X-DISCONTINUITY\n") == 1


def test_target_duration_covers_the_longest_segment() -> None:
    assert "#EXT-X-TARGETDURATION:2" in render_live([Segment("a.ts", 1.6)], 3, 1.0)
    assert "#EXT-X-TARGETDURATION:1" in render_live([Segment("a.ts", 1.4)], 3, 1.0)


def test_vod_lists_everything_and_ends() -> None:
    segs = [Segment("r0_00000.ts", 1.0), Segment("r1_00000.ts", 0.5, True)]
    text = render_vod(segs, 1.0)
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert text.count(".ts") == 2 and "#EXT-X-DISCONTINUITY\n#EXTINF:0.500,\nr1_00000.ts" in text
