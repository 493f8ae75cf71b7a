"""Settings from the environment and the command line; embedded defaults when nothing is set."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "load_secret"]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to start. ``redis_url``/``database_url`` None means embedded."""

    data_dir: Path
    host: str = "0.0.0.0"
    port: int = 8080
    redis_url: str | None = None
    database_url: str | None = None
    secret: str = ""
    #: per-user buy attempts allowed per second and per sale (enforced inside the buy script)
    buy_rate_per_s: int = 10
    #: how often the expiry sweeper looks for unpaid reservations
    sweep_interval_s: float = 0.5
    redis_server: str | None = None
    #: run the ledger worker inside this process (LC_LEDGER_WORKER=0 when separate workers run)
    run_ledger_worker: bool = True
    #: when a buy is acknowledged: ``redis`` (in memory), ``fsync`` (WAITAOF) or ``replica`` (WAIT)
    buy_durability: str = "redis"
    #: how long a buy waits for its fsync or replica before it is answered 503
    buy_durability_timeout_ms: int = 1000
    #: serving processes sharing the port (``serve --workers``)
    workers: int = 1
    #: set by the supervisor in each of its workers: this worker's number, and how many there are
    worker_index: int | None = None
    worker_count: int = 1
    #: count HTTP requests by route and status with latency histograms (LC_HTTP_METRICS=0: off)
    http_metrics: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, **overrides: object) -> Settings:
        data = Path(data_dir or os.environ.get("LC_DATA_DIR") or "./data").resolve()
        values: dict[str, object] = {
            "data_dir": data,
            "redis_url": os.environ.get("REDIS_URL") or None,
            "database_url": os.environ.get("DATABASE_URL") or None,
            "buy_rate_per_s": _env_int("LC_BUY_RATE_PER_S", 10),
            "redis_server": os.environ.get("LC_REDIS_SERVER") or None,
            "run_ledger_worker": os.environ.get("LC_LEDGER_WORKER", "1") not in ("0", "false", "no"),
            "buy_durability": os.environ.get("LC_BUY_DURABILITY") or "redis",
            "buy_durability_timeout_ms": _env_int("LC_BUY_DURABILITY_TIMEOUT_MS", 1000),
            "workers": _env_int("LC_WORKERS", 1),
            "worker_index": int(os.environ["LC_WORKER_INDEX"]) if os.environ.get("LC_WORKER_INDEX") else None,
            "worker_count": _env_int("LC_WORKER_COUNT", 1),
            "http_metrics": os.environ.get("LC_HTTP_METRICS", "1") not in ("0", "false", "no"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        return settings.with_secret(load_secret(data))

    def with_secret(self, secret: str) -> Settings:
        from dataclasses import replace

        return replace(self, secret=secret)


def load_secret(data_dir: Path) -> str:
    """``LC_SECRET`` if set, else a secret generated once into the data dir (mode 0600)."""
    env = os.environ.get("LC_SECRET")
    if env:
        return env
    path = data_dir / "secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
