"""``serve --workers N``: N serving processes on one port, watched by this parent.

The parent starts the embedded Redis once (when ``REDIS_URL`` is unset) and hands its URL to
every worker; each worker is a fresh ``livecommerce serve`` process binding the port with
SO_REUSEPORT, so the kernel spreads connections across them. All state is in Redis and SQL, and
every background job is safe to run in each worker (consumer groups, atomic scripts, settlement
decided by the inventory's conditional update). A worker that exits unasked is started again
(after a pause that grows while it keeps failing); SIGTERM or SIGINT stops them all, then Redis.
Each worker also serves its own metrics on a unix socket in ``<data-dir>/run/``, which the
``/metrics`` of any worker gathers (metrics_fanin.py), and the app on a second unix socket
there, to which the other workers proxy media requests for the rooms it runs (stream_server/relay.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from livecommerce.config import Settings
from livecommerce.embedded_redis import EmbeddedRedis

__all__ = ["Supervisor", "internal_socket", "metrics_socket", "run_dir"]

log = logging.getLogger(__name__)


def run_dir(data_dir: Path) -> Path:
    return data_dir / "run"


def metrics_socket(data_dir: Path, index: int) -> Path:
    return run_dir(data_dir) / f"worker-{index}.sock"


def internal_socket(data_dir: Path, index: int) -> Path:
    """Worker ``index``'s private HTTP socket: the other workers proxy its rooms' media to it."""
    return run_dir(data_dir) / f"worker-{index}.http.sock"


class Supervisor:
    """Owner of the worker processes and of the embedded Redis they share."""

    def __init__(self, settings: Settings, *, log_level: str = "INFO", max_backoff_s: float = 10.0) -> None:
        self._settings = settings
        self._log_level = log_level
        self._max_backoff = max_backoff_s
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._stopping = asyncio.Event()
        self.restarts = 0

    def _command(self, index: int) -> list[str]:
        s = self._settings
        return [sys.executable, "-m", "livecommerce", "serve", "--host", s.host, "--port", str(s.port),
                "--data-dir", str(s.data_dir), "--log-level", self._log_level, "--workers", "1"]

    def _env(self, index: int, redis_url: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(REDIS_URL=redis_url, LC_SECRET=self._settings.secret, LC_WORKER_INDEX=str(index),
                   LC_WORKER_COUNT=str(self._settings.workers))
        return env

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        run = run_dir(self._settings.data_dir)
        run.mkdir(mode=0o700, parents=True, exist_ok=True)
        run.chmod(0o700)  # the workers' sockets answer without auth: only this user may reach them
        for old in run.glob("worker-*.sock"):
            old.unlink()
        embedded: EmbeddedRedis | None = None
        url = self._settings.redis_url
        if url is None:
            embedded = EmbeddedRedis(self._settings.data_dir, self._settings.redis_server)
            await embedded.start()
            url = embedded.url
            log.info("started private redis-server (pid %s) at %s for %d workers", embedded.pid, url,
                     self._settings.workers)
        try:
            watchers = [asyncio.create_task(self._watch(i, url), name=f"worker-{i}")
                        for i in range(self._settings.workers)]
            await self._stopping.wait()
            await self._stop_all()
            for w in watchers:
                w.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
        finally:
            if embedded is not None:
                await embedded.stop()
        return 0

    async def _watch(self, index: int, redis_url: str) -> None:
        """Keep worker ``index`` running until the supervisor stops."""
        backoff = 0.5
        while not self._stopping.is_set():
            started = asyncio.get_running_loop().time()
            proc = await asyncio.create_subprocess_exec(*self._command(index), env=self._env(index, redis_url))
            self._procs[index] = proc
            code = await proc.wait()
            if self._stopping.is_set():
                return
            log.warning("worker %d (pid %d) exited with %s; starting it again in %.1f s", index, proc.pid, code,
                        backoff)
            self.restarts += 1
            ran = asyncio.get_running_loop().time() - started
            try:
                await asyncio.wait_for(self._stopping.wait(), backoff)
                return
            except TimeoutError:
                pass
            backoff = 0.5 if ran > 30 else min(backoff * 2, self._max_backoff)

    async def _stop_all(self, timeout_s: float = 20.0) -> None:
        procs = [p for p in self._procs.values() if p.returncode is None]
        for p in procs:
            p.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), timeout_s)
        except TimeoutError:
            for p in procs:
                if p.returncode is None:
                    p.kill()
            await asyncio.gather(*(p.wait() for p in procs))
