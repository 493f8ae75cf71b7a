"""The fan-out: consumers start at a keyframe, a slow one is cut back to a keyframe, the end is seen."""

from __future__ import annotations

import time

from stream_server.stream import Stream
from stream_server.types import AUDIO_TIME_BASE, VIDEO_TIME_BASE, MediaPacket, TrackInfo

TRACKS = [TrackInfo("video", "H264"), TrackInfo("audio", "opus")]


def video(pts: int, key: bool = False) -> MediaPacket:
    return MediaPacket("video", "H264", b"v", pts, VIDEO_TIME_BASE, key, time.monotonic())


def audio(pts: int) -> MediaPacket:
    return MediaPacket("audio", "opus", b"a", pts, AUDIO_TIME_BASE, False, time.monotonic())


async def test_subscriber_starts_at_a_keyframe_and_asks_for_one() -> None:
    asked: list[bool] = []
    stream = Stream("r1", TRACKS, lambda: asked.append(True))
    sub = stream.subscribe()
    assert asked == [True]
    for pkt in (audio(1), video(2), video(3, key=True), audio(4), video(5)):
        stream.publish(pkt)
    got = [(await sub.get()) for _ in range(3)]
    assert [(p.kind, p.pts) for p in got if p] == [("video", 3), ("audio", 4), ("video", 5)]


async def test_slow_subscriber_is_cut_back_to_the_next_keyframe_without_slowing_others() -> None:
    stream = Stream("r1", TRACKS)
    slow = stream.subscribe(["video"], maxsize=3)
    fast = stream.subscribe(["video"], maxsize=100)
    stream.publish(video(0, key=True))
    for pts in range(1, 10):
        stream.publish(video(pts))
    stream.publish(video(10, key=True))
    stream.publish(video(11))
    assert slow.dropped > 0
    assert [(await slow.get()).pts for _ in range(2)] == [10, 11]  # type: ignore[union-attr]
    assert [(await fast.get()).pts for _ in range(12)] == list(range(12))  # type: ignore[union-attr]


async def test_audio_only_subscriber_is_not_gated_and_end_is_signalled() -> None:
    stream = Stream("r1", TRACKS)
    sub = stream.subscribe(["audio"])
    stream.publish(audio(1))
    stream.close()
    assert (await sub.get()).pts == 1  # type: ignore[union-attr]
    assert await sub.get() is None
    assert stream.subscriber_count == 0
    late = stream.subscribe()
    assert await late.get() is None


async def test_keyframe_requests_are_rate_limited_and_meter_counts() -> None:
    asked: list[bool] = []
    stream = Stream("r1", TRACKS, lambda: asked.append(True))
    for _ in range(5):
        stream.subscribe()
    assert len(asked) == 1
    for pts in range(10):
        stream.publish(video(pts, key=pts == 0))
    assert stream.meter.fps() == 5.0  # 10 frames over the 2 s window
    assert stream.meter.bitrate_bps() == 10 * 8 / 2
