"""Serving HLS: content types and cache headers, and nothing outside the media directory, however
the path is spelled (encoded dots and slashes, backslashes, symlinks)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from yarl import URL

from stream_server import StreamServer

SECRET = b"top secret"


@pytest.fixture
def media(server: StreamServer, tmp_path: Path) -> Path:
    """A room that lives on disk only (as another process would leave it), and secrets around it."""
    (tmp_path / "secret").write_bytes(SECRET)
    (tmp_path / "index.m3u8").write_bytes(SECRET)
    room = server.config.media_dir / "rdisk"
    room.mkdir(parents=True)
    (room / "index.m3u8").write_text("#EXTM3U\n#EXTINF:1.000,\nr0_00000.ts\n")
    (room / "replay.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    (room / "r0_00000.ts").write_bytes(b"\x47" * 188)
    (room / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    os.symlink(tmp_path / "secret", room / "r0_00001.ts")
    os.symlink(tmp_path, server.config.media_dir / "rlink")
    return room


async def test_types_and_cache_headers(api, media: Path) -> None:
    cases = {
        "index.m3u8": ("application/vnd.apple.mpegurl", "no-cache"),
        "replay.m3u8": ("application/vnd.apple.mpegurl", "no-cache"),
        "r0_00000.ts": ("video/mp2t", "public, max-age=31536000, immutable"),
        "cover.jpg": ("image/jpeg", "public, max-age=10"),
    }
    for name, (ctype, cache) in cases.items():
        r = await api.client.get(f"/live/rdisk/{name}")
        assert r.status == 200, name
        assert r.headers["Content-Type"] == ctype and r.headers["Cache-Control"] == cache, name
        assert await r.read() == (media / name).read_bytes()
    r = await api.client.head("/live/rdisk/r0_00000.ts")
    assert r.status == 200


@pytest.mark.parametrize("path", [
    "/live/..%2f..%2fsecret",
    "/live/..%2F..%2Fsecret/index.m3u8",
    "/live/rdisk/..%2f..%2fsecret",
    "/live/rdisk/..%2f..%2findex.m3u8",
    "/live/rdisk/%2e%2e%2f%2e%2e%2fsecret",
    "/live/%2e%2e/index.m3u8",
    "/live/rdisk/..%5c..%5csecret",
    "/live/rdisk/%252e%252e%252fsecret",
    "/live/rdisk/....//secret",
    "/live/rdisk/%00index.m3u8",
    "/live/rdisk/index.m3u8%00",
    "/live/rdisk/r0_00001.ts",        # a symlink out of the media directory
    "/live/rlink/index.m3u8",         # a room directory that is a symlink out of it
    "/live/rdisk/secret",
    "/live/rdisk/.hidden.ts",
])
async def test_nothing_outside_the_media_directory(api, media: Path, path: str) -> None:
    r = await api.client.get(URL(path, encoded=True))
    body = await r.read()
    assert r.status in (404, 422), (path, r.status)
    assert SECRET not in body


async def test_unknown_room_and_names(api, media: Path) -> None:
    assert (await api.client.get("/live/rnone/index.m3u8")).status == 404
    assert (await api.client.get("/live/rdisk/r0_00009.ts")).status == 404
    assert (await api.client.get("/live/rdisk/index.mpd")).status == 404
