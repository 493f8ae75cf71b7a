"""Settings of the media plane: environment first, then per-app overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_server.config import StreamConfig, resolve_ffmpeg


def test_defaults_env_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FFMPEG", raising=False)
    config = StreamConfig.from_env(tmp_path)
    assert config.media_dir == tmp_path / "media" and config.segment_s == 1.0
    assert Path(config.ffmpeg).is_file()  # the binary shipped by imageio-ffmpeg
    monkeypatch.setenv("FFMPEG", "/opt/ffmpeg")
    monkeypatch.setenv("LC_STREAM_MEDIA_TIMEOUT_S", "2.5")
    monkeypatch.setenv("LC_PUBLIC_URL", "https://live.example.com")
    config = StreamConfig.from_env(tmp_path, {"stream_max_live_rooms": "3"})
    assert resolve_ffmpeg() == config.ffmpeg == "/opt/ffmpeg"
    assert config.media_timeout_s == 2.5 and config.max_live_rooms == 3
    assert config.public_url == "https://live.example.com"


def test_internal_url_names_this_host(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    from stream_server.config import StreamConfig

    monkeypatch.setenv("LC_INTERNAL_URL", "http://{hostname}:8080")
    assert StreamConfig.from_env(tmp_path).internal_url == f"http://{socket.gethostname()}:8080"
    monkeypatch.delenv("LC_INTERNAL_URL")
    assert StreamConfig.from_env(tmp_path).internal_url is None
