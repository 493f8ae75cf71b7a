"""End-to-end fixtures: a real ``livecommerce serve`` process and real headless Chromium (Debian's
``chromium`` driven by Playwright), with every page's console errors collected and failing the test.

Tests here are synchronous (Playwright's sync API); anything async they need runs in the server
process or in helper threads. Screenshots for the README go to ``docs/screenshots/``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # the console's camera and microphone: Chromium's synthetic devices, granted without a prompt
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
# the README's pictures are refreshed only when asked (LC_SCREENSHOTS=1); otherwise they go to a temp dir,
# so a test run leaves the work tree as it found it
SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("LC_SCREENSHOTS") == "1"
               else Path(os.environ.get("TMPDIR", "/tmp")) / "lc-screenshots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A running ``livecommerce serve`` on a private data dir, with tokens minted from its secret."""

    base: str
    data_dir: Path
    proc: subprocess.Popen[bytes]
    _signer: Any = field(default=None, repr=False)

    def token(self, role: str, user: str | None = None, store: str | None = None, nickname: str | None = None) -> str:
        from livecommerce.config import load_secret
        from livecommerce.web.auth import Role, TokenSigner

        if self._signer is None:
            self._signer = TokenSigner(load_secret(self.data_dir))
        r = Role(role)
        return str(self._signer.mint(r, user or r.value, store_id=store, nickname=nickname))

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """One JSON request; returns (status, parsed body)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def ok(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        status, data = self.call(method, path, body, token)
        assert 200 <= status < 300, (method, path, status, data)
        return data


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> LiveServer:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LC_SECRET", "REDIS_URL", "DATABASE_URL")}
    env.update({"LC_RTMP_PORT": "0", **(extra_env or {})})
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "livecommerce", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--data-dir", str(data_dir)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, proc)
    deadline = time.monotonic() + 30
    while True:
        try:
            if server.call("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((data_dir / "serve.log").read_text()[-4000:])
        time.sleep(0.1)


def stop_server(server: LiveServer) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for a whole module of read-only checks (each starts in ~1 s)."""
    server = start_server(tmp_path_factory.mktemp("serve"))
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped on purpose: Playwright's sync API keeps an event loop running in this thread while it
    is open, which would break every async test the same xdist worker runs after it."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is not installed at {CHROMIUM} (scripts/bootstrap installs Debian's chromium)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"lc-chromium-{os.getpid()}"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
    shutil.rmtree(profile, ignore_errors=True)


class ConsoleErrors(list[str]):
    """Console errors and uncaught exceptions of every page opened through the ``page`` fixtures."""

    def watch(self, page: Any) -> Any:
        page.on("console", lambda m: self.append(f"console.{m.type}: {m.text} @ {m.location}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.append(f"pageerror: {e}"))
        return page


@pytest.fixture
def console_errors() -> Iterator[ConsoleErrors]:
    errors = ConsoleErrors()
    yield errors
    assert not errors, "errors in the page console:\n" + "\n".join(errors)


@pytest.fixture
def new_page(browser: Any, console_errors: ConsoleErrors) -> Iterator[Any]:
    """``new_page(viewport=PHONE, **context_options)`` -> a page whose console errors fail the test."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None, **options: Any) -> Any:
        # no CSS transitions: a sheet still sliding in on a loaded machine is "outside of the viewport" to a click
        options.setdefault("reduced_motion", "reduce")
        ctx = browser.new_context(viewport=viewport or PHONE, **options)
        contexts.append(ctx)
        return console_errors.watch(ctx.new_page())

    yield make
    for ctx in contexts:
        ctx.close()


def wait_for(check: Any, within: float = 20.0, what: str = "condition", interval: float = 0.2) -> Any:
    """Poll ``check()`` until it returns something truthy (and return that), or fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {within} s")
        time.sleep(interval)


def screenshot(page: Any, name: str) -> Path:
    """Save <name>.png: into docs/screenshots/ (the README shows them) with LC_SCREENSHOTS=1."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
