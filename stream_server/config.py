"""Settings of the media plane: from the environment, overridable per app (tests) via ``extra``."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from stream_server.forward_targets import check_target, expand_template

__all__ = ["StreamConfig", "resolve_ffmpeg"]


def resolve_ffmpeg() -> str:
    """``FFMPEG`` if set, else the binary shipped by imageio-ffmpeg (no system package needed)."""
    configured = os.environ.get("FFMPEG")
    if configured:
        return configured
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _internal_url(raw: str | None) -> str | None:
    """``{hostname}`` becomes this machine's name: one setting for every replica of a scaled service."""
    return raw.replace("{hostname}", socket.gethostname()) if raw else None


@dataclass(frozen=True)
class StreamConfig:
    media_dir: Path
    ffmpeg: str
    #: absolute base of the URLs we hand out (whip_url, Location); None: taken from the request
    public_url: str | None = None
    #: where the other processes of the deployment reach this one for its rooms' media
    #: (``LC_INTERNAL_URL``, or a worker's private unix socket ``unix:/path``); None: no relaying
    internal_url: str | None = None
    segment_s: float = 1.0
    live_window: int = 6
    #: a publisher sending nothing for this long is gone (no DELETE needed)
    media_timeout_s: float = 3.0
    #: ICE + DTLS must complete within this after the answer
    connect_timeout_s: float = 10.0
    max_sdp_bytes: int = 64 * 1024
    max_live_rooms: int = 32
    max_whep_viewers: int = 50
    cover_interval_s: float = 10.0
    cover_width: int = 320
    #: seconds between liveness leases written to Redis; a lease lives 3 periods
    lease_period_s: float = 2.0
    playlist_poll_s: float = 0.05
    #: every live room is also pushed here (``LC_FORWARD_URL_TEMPLATE``, ``{room_id}`` replaced)
    forward_url_template: str | None = None
    #: comma-separated hosts a room's own ``forward`` targets may name (``LC_FORWARD_HOSTS``; empty: any
    #: host but this machine and link-local addresses)
    forward_hosts: str = ""

    @classmethod
    def from_env(cls, data_dir: Path, overrides: Mapping[str, str] | None = None) -> StreamConfig:
        """``LC_STREAM_<FIELD>`` variables, then ``overrides`` (``Settings.extra`` keys ``stream_<field>``)."""
        config = cls(media_dir=data_dir / "media", ffmpeg=resolve_ffmpeg(),
                     public_url=os.environ.get("LC_PUBLIC_URL") or None,
                     internal_url=_internal_url(os.environ.get("LC_INTERNAL_URL")),
                     forward_url_template=os.environ.get("LC_FORWARD_URL_TEMPLATE") or None,
                     forward_hosts=os.environ.get("LC_FORWARD_HOSTS", ""))
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"LC_STREAM_{f.name.upper()}")
            if overrides and f"stream_{f.name}" in overrides:
                raw = overrides[f"stream_{f.name}"]
            if raw is None or f.name in ("media_dir", "ffmpeg"):
                continue
            current = getattr(config, f.name)
            values[f.name] = raw if isinstance(current, str) or current is None else type(current)(raw)
        config = replace(config, **values)  # type: ignore[arg-type]
        if config.forward_url_template:
            try:
                check_target(expand_template(config.forward_url_template, "r0"), trusted=True)
            except ValueError as exc:
                raise ValueError(f"LC_FORWARD_URL_TEMPLATE: {exc}") from exc
        return config

    def forward_targets(self, room_id: str, own: tuple[str, ...]) -> list[str]:
        """Where a live room is pushed: the configured template's URL, then the room's own targets."""
        targets = [expand_template(self.forward_url_template, room_id)] if self.forward_url_template else []
        return list(dict.fromkeys([*targets, *own]))
