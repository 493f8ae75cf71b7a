"""The spike scenario end to end through loadtests/run.py: a real server, real locust, the books after.

Also proves the run fails loudly: a broken invariant (an acknowledged order the ledger never saw)
turns the exit status non-zero.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(240)


def _run(tmp_path: Path, *extra: str) -> tuple[int, dict, str]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "loadtests" / "run.py"), "spike", "--users", "200", "--run-time", "7",
         "--stock", "60", "--results", str(tmp_path), *extra],
        capture_output=True, text=True, timeout=200, cwd=ROOT)
    (summary_file,) = tmp_path.glob("spike-*/summary.json")
    return proc.returncode, json.loads(summary_file.read_text()), proc.stdout + proc.stderr


def test_spike_run_balances_the_books_and_reports(tmp_path: Path) -> None:
    rc, s, out = _run(tmp_path)
    assert rc == 0, out
    assert s["ok"] and s["locust_exit"] == 0
    books = s["books"]
    assert all(books["checks"].values()), books
    sale = books["sale"]
    assert sale["allocated"] == 60 == sale["remaining"] + sale["reserved"] + sale["sold"]
    assert books["oversold"] == 0
    assert 0 < books["orders_acked"] <= books["orders_in_ledger"]
    assert sum(books["ledger_statuses"].values()) == books["orders_in_ledger"]
    buys = s["requests"]["POST /api/v1/flash-sales/[id]/orders"]
    assert buys["requests"] >= 200, "every buyer tapped at least once"
    assert buys["failures"] == 0 and buys["p99_ms"] is not None
    assert s["requests"]["POST /api/v1/auth/viewer"]["requests"] == 200
    assert s["requests"]["WS /ws/rooms/[room]"]["failures"] == 0
    assert s["error_rate"] <= s["error_budget"]
    server = s["server_buy_latency"]
    assert server["count"] == buys["requests"], "the server timed every buy locust sent"
    assert 0 < server["p50_ms"] <= server["p99_ms"]
    results = Path(s["results"])
    assert (results / "locust.html").stat().st_size > 1000 and (results / "locust_stats.csv").exists()
    assert "OK: results in" in out and "| POST /api/v1/flash-sales/[id]/orders |" in out


def test_an_order_missing_from_the_ledger_fails_the_run(tmp_path: Path) -> None:
    """A fabricated acknowledgement (an order the server never made) must fail the books check."""
    from loadtests import _checks

    results = tmp_path / "r"
    results.mkdir()
    (results / "acked-1.txt").write_text("abcdef123456-1 u1\n")

    class _Api:
        def call(self, method: str, path: str, *a: object, **k: object) -> dict:
            if path.endswith("/orders?limit=500"):
                return {"orders": [], "next_cursor": None}
            return {"allocated": 5, "remaining": 5, "reserved": 0, "sold": 0, "per_user_limit": 1,
                    "remaining_by_store": {"S1": 5}}

    books = _checks.check_books(_Api(), "abcdef123456", results, None)  # type: ignore[arg-type]
    assert not books["ok"] and books["checks"]["acked_in_ledger"] is False
    assert books["missing_from_ledger"] == ["abcdef123456-1"]


def test_limit_check_counts_units_held_at_the_same_instant() -> None:
    from loadtests._checks import users_over_limit

    def order(oid: str, created: str, status: str, closed: str | None = None) -> dict:
        o = {"order_id": oid, "created_at": f"2026-01-01T00:00:{created}.000Z", "quantity": 1, "status": status}
        if closed:
            o["closed_at"] = f"2026-01-01T00:00:{closed}.000Z"
        return o

    ledger = [order("s-1", "01", "expired", "09"), order("s-2", "10", "paid"),  # rebuy after expiry: fine
              order("s-3", "01", "paid"), order("s-4", "02", "reserved"),  # two held at once: over
              order("s-5", "01", "cancelled", "03"), order("s-6", "03", "paid")]  # released at that instant
    acked = {"s-1": "alice", "s-2": "alice", "s-3": "bob", "s-4": "bob", "s-5": "carol", "s-6": "carol"}
    assert users_over_limit(ledger, acked, 1) == {"bob": 2}
    assert users_over_limit(ledger, acked, 2) == {}
