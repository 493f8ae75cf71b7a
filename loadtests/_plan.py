"""The plan a load-test run hands to its locust users: where the server is, what was seeded.

``loadtests/run.py`` seeds the server through the API and writes the plan as JSON; every
locustfile reads it from ``LC_LOAD_PLAN`` (or builds a default one for a quick manual try).
Users add the order ids the API acknowledged to a per-process file (``acked-<pid>.txt``) so the
post-run check can prove each one reached the ledger, whatever the number of locust processes.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Plan", "load_plan", "AckLog"]


@dataclass
class Plan:
    base_url: str
    sale_id: str = ""
    sale_starts_at: float = 0.0  # epoch seconds
    sku: str = "SKU1"
    stores: list[str] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    host_tokens: dict[str, str] = field(default_factory=dict)  # store -> host token
    room_store: dict[str, str] = field(default_factory=dict)  # room -> store
    pay_ratio: float = 0.7  # buyers who pay; the rest abandon (half cancel, half let it expire)
    double_tap_ratio: float = 0.2  # buyers who tap twice at once with two keys (the limit must hold)
    websocket: bool = True  # buyers join the room websocket
    results_dir: str = ""

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))


def load_plan() -> Plan:
    path = os.environ.get("LC_LOAD_PLAN")
    if not path:
        return Plan(base_url=os.environ.get("LC_TARGET", "http://127.0.0.1:8080"), sale_starts_at=time.time())
    return Plan(**json.loads(Path(path).read_text()))


class AckLog:
    """Order ids acknowledged to this process' users, appended as they come (one file per pid)."""

    def __init__(self, results_dir: str) -> None:
        self._path = Path(results_dir) / f"acked-{os.getpid()}.txt" if results_dir else None

    def add(self, order_id: str, user_id: str) -> None:
        if self._path is None:
            return
        if self._path.name != f"acked-{os.getpid()}.txt":  # forked by --processes after import
            self._path = self._path.with_name(f"acked-{os.getpid()}.txt")
        with self._path.open("a") as fh:
            fh.write(f"{order_id} {user_id}\n")
