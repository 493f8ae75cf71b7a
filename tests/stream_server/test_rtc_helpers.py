"""SDP helpers of the WebRTC protocols: any H.264 profile is taken and echoed; keyframes are seen."""

from __future__ import annotations

import pytest

from stream_server._rtc import accept_any_h264_profile, is_keyframe, offered_codecs, restore_h264_profiles
from stream_server.errors import BadOffer

OFFER = """v=0\r
o=- 0 0 IN IP4 127.0.0.1\r
s=-\r
t=0 0\r
m=audio 9 UDP/TLS/RTP/SAVPF 111\r
c=IN IP4 0.0.0.0\r
a=rtpmap:111 opus/48000/2\r
m=video 9 UDP/TLS/RTP/SAVPF 106 105 96\r
c=IN IP4 0.0.0.0\r
a=rtpmap:106 H264/90000\r
a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f\r
a=rtpmap:105 rtx/90000\r
a=fmtp:105 apt=106\r
a=rtpmap:96 VP8/90000\r
"""


def test_high_profile_is_presented_as_baseline_and_restored_in_the_answer() -> None:
    munged, original = accept_any_h264_profile(OFFER)
    assert original == {"106": "64001f"}
    assert "profile-level-id=42e01f" in munged and "64001f" not in munged
    answer = "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    assert "profile-level-id=64001f" in restore_h264_profiles(answer, original)


def test_offered_codecs_and_garbage() -> None:
    assert offered_codecs(OFFER) == {"audio": [["opus"]], "video": [["H264", "rtx", "VP8"]]}
    with pytest.raises(BadOffer):
        offered_codecs("v=0\r\nm=garbage\r\n")


def test_keyframes() -> None:
    assert is_keyframe("H264", b"\x00\x00\x00\x01\x67sps\x00\x00\x00\x01\x68pps\x00\x00\x01\x65idr")
    assert not is_keyframe("H264", b"\x00\x00\x00\x01\x41slice")
    assert is_keyframe("VP8", bytes([0x10, 0, 0]))
    assert not is_keyframe("VP8", bytes([0x11, 0, 0]))
    assert not is_keyframe("opus", b"\x00")
