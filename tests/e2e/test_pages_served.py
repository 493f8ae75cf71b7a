"""The three front doors are served with their CSP, the vendored players are there, and the static
route cannot be walked out of."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import LiveServer


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.mark.parametrize("path", ["/", "/rooms/r123", "/console", "/ops"])
def test_pages_are_html_with_a_strict_csp(module_server: LiveServer, path: str) -> None:
    status, headers, body = _get(module_server.base + path)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert b"<html" in body


@pytest.mark.parametrize("asset", ["vendor/hls.min.js", "vendor/mpegts.js", "vendor/uPlot.iife.min.js",
                                   "vendor/uPlot.min.css", "common/api.js"])
def test_vendored_assets_are_served(module_server: LiveServer, asset: str) -> None:
    status, _, body = _get(module_server.base + "/static/" + asset)
    assert status == 200 and len(body) > 500


@pytest.mark.parametrize("path", ["/static/../../livecommerce/config.py", "/static/%2e%2e/%2e%2e/secret",
                                  "/static/..%2f..%2fsecret", "/rooms/..%2f..", "/rooms/" + "x" * 65])
def test_no_path_traversal(module_server: LiveServer, path: str) -> None:
    status, _, body = _get(module_server.base + path)
    assert status in (403, 404), (path, status)
    assert module_server.token("ops")[:10].encode() not in body
