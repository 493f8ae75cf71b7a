"""The GOP cache and fan-out of ``LiveFlv`` and the FLV tag reader, with a fake transport."""

from __future__ import annotations

from stream_server._flv_tags import TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO, TagReader
from stream_server.live_flv import LiveFlv, chunk

HEADER = b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00"


def _tag(kind: int, body: bytes, ts: int = 0) -> bytes:
    head = bytes([kind]) + len(body).to_bytes(3, "big") + ts.to_bytes(3, "big") + b"\x00" + b"\x00\x00\x00"
    return head + body + (11 + len(body)).to_bytes(4, "big")


META = _tag(TAG_SCRIPT, b"\x02\x00\x0aonMetaData")
AVC_SEQ = _tag(TAG_VIDEO, b"\x17\x00\x00\x00\x00avcC")
AAC_SEQ = _tag(TAG_AUDIO, b"\xaf\x00\x12\x10")
KEY = _tag(TAG_VIDEO, b"\x17\x01\x00\x00\x00idr", 40)
INTER = _tag(TAG_VIDEO, b"\x27\x01\x00\x00\x00p", 80)
AUDIO = _tag(TAG_AUDIO, b"\xaf\x01aac", 60)


class FakeTransport:
    def __init__(self) -> None:
        self.data = bytearray()
        self.buffered = 0
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.data += data

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True


def _feed(flv: LiveFlv, data: bytes) -> None:
    reader = TagReader()
    tags = reader.feed(data[:7])  # split reads: nothing whole yet
    assert tags == [] and reader.header is None
    tags = reader.feed(data[7:50]) + reader.feed(data[50:])
    assert reader.header == HEADER
    flv.start_run(reader.header)
    flv.add_tags(tags)


def test_a_joiner_gets_headers_then_the_last_gop_only() -> None:
    flv = LiveFlv()
    assert not flv.ready
    _feed(flv, HEADER + META + AVC_SEQ + AAC_SEQ + KEY + INTER + KEY + AUDIO + INTER)
    assert flv.ready
    assert flv.first_burst() == HEADER + META + AVC_SEQ + AAC_SEQ + KEY + AUDIO + INTER


def test_live_tags_reach_every_viewer_and_a_slow_one_is_dropped() -> None:
    flv = LiveFlv(max_pending=1000)
    _feed(flv, HEADER + META + AVC_SEQ + AAC_SEQ + KEY)
    fast, slow = FakeTransport(), FakeTransport()
    a, b = flv.join(fast), flv.join(slow)
    flv.add_tags([TagReader.parse_one(INTER)])
    flv.go_live(a)
    flv.go_live(b)
    assert bytes(fast.data) == bytes(slow.data) == chunk(INTER)  # the backlog, then live
    slow.buffered = 990
    flv.add_tags([TagReader.parse_one(AUDIO), TagReader.parse_one(INTER)])
    assert slow.aborted and b.done.is_set() and b.dropped and flv.dropped == 1
    assert bytes(fast.data) == chunk(INTER) + chunk(AUDIO + INTER) and flv.viewers == {a}
    flv.finish()
    assert a.done.is_set() and not a.dropped and not flv.viewers
