"""Starts a real ``livecommerce serve`` in its own process for a benchmark, and seeds it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

__all__ = ["ServerProcess", "free_port", "BENCH_SECRET"]

BENCH_SECRET = "bench-secret-0123456789abcdef01234567"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``livecommerce serve`` on 127.0.0.1 with embedded Redis + SQLite in a temp data dir."""

    def __init__(self, env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.port = free_port()
        self.data_dir = Path(tempfile.mkdtemp(prefix="lc-bench-"))
        self.base = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, "LC_SECRET": BENCH_SECRET, "LC_LOG_LEVEL": "WARNING",
                     # the ledger is measured by bench_ledger.py; here it would bill the phases after a
                     # buy phase for writing that phase's orders
                     "LC_LEDGER_WORKER": "0", **(env or {})}
        self._args = list(args or [])
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "livecommerce", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), *self._args],
            env=self._env, stdout=subprocess.DEVNULL, stderr=open(self.data_dir / "server.log", "wb"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"server did not start; see {self.data_dir / 'server.log'}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("not running")
        return self.proc.pid
