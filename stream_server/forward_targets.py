"""Where a room may be pushed (``rtmp://`` or ``rtmps://`` of an SRS origin or a CDN): checks and redaction.

A target is fetched by our own ffmpeg, so it is checked like any URL a client makes us connect to:
rtmp/rtmps only, a bounded length, printable characters only (nothing that could smuggle a second
line into the RTMP handshake), and never this machine or a link-local address (a cloud metadata
service) unless ``LC_FORWARD_HOSTS`` names the host. With ``LC_FORWARD_HOSTS`` set, only those hosts
(and their subdomains) are allowed. Push URLs carry credentials in their query (CDN auth tokens),
so only ``redact``-ed forms are ever shown or used as metric labels.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["MAX_FORWARDS", "MAX_URL_LENGTH", "check_target", "expand_template", "redact"]

MAX_FORWARDS = 4
MAX_URL_LENGTH = 512
SCHEMES = ("rtmp", "rtmps")
_PRINTABLE = re.compile(r"^[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+$")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def _hosts(allowed: str | Iterable[str]) -> list[str]:
    items = allowed.split(",") if isinstance(allowed, str) else allowed
    return [h.strip().lower().rstrip(".") for h in items if h.strip()]


def _local(host: str) -> bool:
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved


def check_target(url: str, allowed_hosts: str | Iterable[str] = "", trusted: bool = False) -> str:
    """``url`` if it may be pushed to; ValueError with the reason otherwise. ``trusted``: the
    operator's own template (any host; the shape is still checked)."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"at most {MAX_URL_LENGTH} characters")
    if not _PRINTABLE.fullmatch(url):
        raise ValueError("only printable URL characters (no spaces or control characters)")
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError("must be an rtmp:// or rtmps:// URL")
    try:
        host, _port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError as exc:
        raise ValueError("the port must be a number 1-65535") from exc
    if not host:
        raise ValueError("needs a host")
    if len([p for p in parts.path.split("/") if p]) < 1:
        raise ValueError("needs an application path (rtmp://host/app/stream)")
    allowed = _hosts(allowed_hosts)
    if trusted:
        return url
    if allowed:
        if not any(host == h or host.endswith("." + h) for h in allowed):
            raise ValueError(f"host {host!r} is not among the allowed forwarding hosts")
    elif _local(host):
        raise ValueError(f"host {host!r} is this machine or link-local; list it in LC_FORWARD_HOSTS to allow it")
    return url


def redact(url: str) -> str:
    """The URL without credentials: no user info, no query (CDN tokens), no fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{netloc}{parts.path}"


def expand_template(template: str, room_id: str) -> str:
    """``LC_FORWARD_URL_TEMPLATE`` for one room (plain replacement: no format-string evaluation)."""
    return template.replace("{room_id}", room_id)
