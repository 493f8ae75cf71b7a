"""The books after a run, checked through the API and ``livecommerce verify``.

Per sale: allocated = remaining + reserved + sold, nothing negative (no oversell); every order the
API acknowledged to a user is in the ledger; no user holds more than the per-user limit.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from loadtests._seed import Api

__all__ = ["check_books", "acked_orders", "ledger_orders", "users_over_limit"]


def acked_orders(results: Path) -> dict[str, str]:
    """order id -> user id of every order the API acknowledged to a locust user."""
    ids: dict[str, str] = {}
    for f in results.glob("acked-*.txt"):
        for line in f.read_text().splitlines():
            if line.strip():
                order_id, user_id = line.split()
                ids[order_id] = user_id
    return ids


def ledger_orders(api: Api, sale_id: str) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        query = "?limit=500" + (f"&cursor={cursor}" if cursor else "")
        page = api.call("GET", f"/api/v1/flash-sales/{sale_id}/orders{query}")
        orders += page["orders"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    return orders


def users_over_limit(ledger: list[dict[str, Any]], acked: dict[str, str], limit: int) -> dict[str, int]:
    """Users who held more than ``limit`` units at some instant. The ledger's view has no user: the
    acknowledged orders carry theirs. An order is held from its creation until it closed (expired or
    cancelled; paid and reserved ones still hold), so a new order after an expiry is within the rule."""
    events: dict[str, list[tuple[str, int]]] = {}
    for o in ledger:
        user = acked.get(o["order_id"])
        if user is None:
            continue
        events.setdefault(user, []).append((o["created_at"], o["quantity"]))
        if o["status"] in ("expired", "cancelled") and o.get("closed_at"):
            events[user].append((o["closed_at"], -o["quantity"]))
    over: dict[str, int] = {}
    for user, evs in events.items():
        held = peak = 0
        for _, delta in sorted(evs, key=lambda e: (e[0], e[1])):  # same instant: the release first
            held += delta
            peak = max(peak, held)
        if peak > limit:
            over[user] = peak
    return over


def _verify(data_dir: Path | None, wait_s: float) -> tuple[bool, str]:
    if data_dir is None:
        return True, "skipped (no --data-dir)"
    proc = subprocess.run([sys.executable, "-m", "livecommerce", "verify", "--data-dir", str(data_dir),
                           "--wait", str(wait_s)], capture_output=True, text=True, timeout=wait_s + 60)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()[-2000:]


def check_books(api: Api, sale_id: str, results: Path, data_dir: Path | None, wait_s: float = 30) -> dict[str, Any]:
    verified, verify_out = _verify(data_dir, wait_s)  # waits for the ledger to catch up first
    sale = api.call("GET", f"/api/v1/flash-sales/{sale_id}")
    balanced = sale["allocated"] == sale["remaining"] + sale["reserved"] + sale["sold"]
    non_negative = min(sale["remaining"], sale["reserved"], sale["sold"], *sale["remaining_by_store"].values()) >= 0
    ledger = ledger_orders(api, sale_id)
    in_ledger = {o["order_id"] for o in ledger}
    acked = acked_orders(results)
    missing = sorted(set(acked) - in_ledger)
    over = users_over_limit(ledger, acked, sale["per_user_limit"])
    statuses = Counter(o["status"] for o in ledger)
    checks = {
        "verify": verified,
        "balanced": balanced,
        "non_negative": non_negative,
        "acked_in_ledger": not missing,
        "no_user_over_limit": not over,
    }
    return {
        "ok": all(checks.values()),
        "checks": checks,
        "sale": {k: sale[k] for k in ("allocated", "remaining", "reserved", "sold", "per_user_limit")},
        "orders_acked": len(acked),
        "orders_in_ledger": len(in_ledger),
        "ledger_statuses": dict(statuses),
        "missing_from_ledger": missing[:20],
        "users_over_limit": dict(list(over.items())[:20]),
        "oversold": max(0, sale["sold"] + sale["reserved"] - sale["allocated"]),
        "verify_output": verify_out,
    }
