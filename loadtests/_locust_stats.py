"""Reads locust's CSV output: the live history while it runs, the totals when it is done."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

__all__ = ["live_figures", "final_figures", "peak_rps"]


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="") as fh:
            return list(csv.DictReader(fh))
    except (FileNotFoundError, csv.Error):
        return []


def _num(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "", "N/A") else None
    except ValueError:
        return None


def live_figures(prefix: Path) -> dict[str, Any] | None:
    """The last aggregated row of ``<prefix>_stats_history.csv`` (written each second)."""
    rows = [r for r in _rows(Path(f"{prefix}_stats_history.csv")) if r.get("Name") == "Aggregated"]
    if not rows:
        return None
    last = rows[-1]
    return {"users": int(_num(last.get("User Count")) or 0), "rps": round(_num(last.get("Requests/s")) or 0.0, 1),
            "p50_ms": _num(last.get("50%")), "p99_ms": _num(last.get("99%")),
            "requests": int(_num(last.get("Total Request Count")) or 0),
            "failures": int(_num(last.get("Total Failure Count")) or 0)}


def peak_rps(prefix: Path, name: str = "Aggregated") -> float:
    """Highest one-second rate in the history (locust's own figure is a moving window)."""
    rows = [r for r in _rows(Path(f"{prefix}_stats_history.csv")) if r.get("Name") == name]
    best, prev = 0.0, None
    for r in rows:
        t, n = _num(r.get("Timestamp")), _num(r.get("Total Request Count"))
        if t is None or n is None:
            continue
        if prev is None:
            prev = (t - 1, 0.0)  # a name's rows start with its first request
        if t > prev[0]:
            best = max(best, (n - prev[1]) / (t - prev[0]))
        prev = (t, n)
    return round(best, 1)


def final_figures(prefix: Path) -> dict[str, dict[str, Any]]:
    """Per request name (and ``Aggregated``): requests, failures, req/s, p50, p99 from ``<prefix>_stats.csv``."""
    out: dict[str, dict[str, Any]] = {}
    for r in _rows(Path(f"{prefix}_stats.csv")):
        name = r.get("Name") or "?"
        key = name if r.get("Type") in (None, "", "Aggregated") or name == "Aggregated" else f"{r['Type']} {name}"
        out[key] = {"requests": int(_num(r.get("Request Count")) or 0),
                    "failures": int(_num(r.get("Failure Count")) or 0),
                    "rps": round(_num(r.get("Requests/s")) or 0.0, 1),
                    "p50_ms": _num(r.get("50%")), "p99_ms": _num(r.get("99%")),
                    "peak_rps": peak_rps(prefix, name)}
    return out
