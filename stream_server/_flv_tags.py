"""FLV tags out of ffmpeg's byte stream: an 11-byte header, the body, a 4-byte previous size.

Parsing is enough to tell what a new viewer needs first (the file header, onMetaData, the AVC and
AAC sequence headers) and where the last video keyframe starts; the bytes are never rewritten,
so every viewer gets exactly what ffmpeg wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FlvTag", "TagReader"]

HEADER_LEN = 9 + 4  # "FLV", version, flags, header size, then PreviousTagSize0
TAG_AUDIO, TAG_VIDEO, TAG_SCRIPT = 8, 9, 18
_AVC, _AAC = 7, 10


@dataclass(frozen=True, slots=True)
class FlvTag:
    """One whole tag as ffmpeg wrote it (header, body and the trailing previous size)."""

    data: bytes
    kind: int

    @property
    def is_sequence_header(self) -> bool:
        """AVC decoder configuration or AAC AudioSpecificConfig: what a decoder needs first."""
        body = self.data[11:13]
        if len(body) < 2 or body[1] != 0:
            return False
        if self.kind == TAG_VIDEO:
            return body[0] & 0x0F == _AVC
        return self.kind == TAG_AUDIO and body[0] >> 4 == _AAC

    @property
    def is_keyframe(self) -> bool:
        return self.kind == TAG_VIDEO and len(self.data) > 11 and self.data[11] >> 4 == 1


class TagReader:
    """Feed bytes as they come; take the file header once, then whole tags."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.header: bytes | None = None

    @staticmethod
    def parse_one(data: bytes) -> FlvTag:
        """A tag from its whole bytes (header, body, previous size)."""
        return FlvTag(bytes(data), data[0] & 0x1F)

    def feed(self, chunk: bytes) -> list[FlvTag]:
        self._buf += chunk
        tags: list[FlvTag] = []
        if self.header is None:
            if len(self._buf) < HEADER_LEN:
                return tags
            if self._buf[:3] != b"FLV":
                raise ValueError("not an FLV stream")
            self.header = bytes(self._buf[:HEADER_LEN])
            del self._buf[:HEADER_LEN]
        pos = 0
        while len(self._buf) - pos >= 11:
            size = int.from_bytes(self._buf[pos + 1:pos + 4], "big")
            end = pos + 11 + size + 4
            if len(self._buf) < end:
                break
            tags.append(FlvTag(bytes(self._buf[pos:end]), self._buf[pos] & 0x1F))
            pos = end
        del self._buf[:pos]
        return tags
