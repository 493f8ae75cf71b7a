"""``livecommerce demo`` as a newcomer runs it: within a minute a seeded room is live (HLS has
segments), a flash sale is scheduled a minute ahead, the printed tokens work, a second run reuses
the data, and SIGTERM leaves no child process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from livecommerce.demo.catalog import HOST_STORE, PRODUCTS, SALE_SKU, STORES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(url: str, token: str | None = None) -> tuple[int, Any, dict[str, str]]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            raw = r.read()
            kind = r.headers.get("Content-Type", "")
            return r.status, json.loads(raw) if "json" in kind else raw, dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), dict(e.headers)


class Demo:
    """One ``livecommerce demo`` subprocess and the banner it printed."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("LC_SECRET", "REDIS_URL", "DATABASE_URL")}
        env["LC_RTMP_PORT"] = "0"
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "livecommerce", "demo", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir), *extra],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.strip().startswith("ops token:"):
                self.ready.set()
        self.ready.set()

    def banner(self, within: float = 60.0) -> str:
        assert self.ready.wait(within), "no banner within a minute:\n" + "\n".join(self.lines[-40:])
        assert self.proc.poll() is None, "\n".join(self.lines[-40:])
        return "\n".join(self.lines)

    def field(self, pattern: str) -> str:
        m = re.search(pattern, self.banner())
        assert m, (pattern, self.banner())
        return m.group(1)

    def descendants(self) -> dict[int, str]:
        """Every process below the demo (redis-server, the publisher and packager ffmpegs)."""
        parents: dict[int, int] = {}
        names: dict[int, str] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            parents[int(entry.name)], names[int(entry.name)] = int(rest[1]), name
        found, frontier = {}, [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            for child, parent in parents.items():
                if parent == pid and child not in found:
                    found[child] = names[child]
                    frontier.append(child)
        return found

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


def _alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_demo_goes_live_within_a_minute_and_stops_cleanly(tmp_path: Path) -> None:
    demo = Demo(tmp_path)
    try:
        room_id = demo.field(r"/rooms/([A-Za-z0-9_-]+)")
        sale_id = demo.field(r"flash sale ([a-z0-9]+) starts")
        host_token = demo.field(r"host token \(" + HOST_STORE + r"\): (\S+)")
        ops_token = demo.field(r"ops token: (\S+)")
        for page in ("/console", "/ops", f"/rooms/{room_id}"):
            assert f"{demo.base}{page}" in demo.banner()

        # the room is live and HLS has segments, within a minute of the command
        deadline = demo.started + 60
        while True:
            status, playlist, _ = _call(f"{demo.base}/live/{room_id}/index.m3u8")
            if status == 200 and re.search(rb"^\S+\.ts$", playlist, re.M):
                break
            assert time.monotonic() < deadline, "no HLS segment within 60 s"
            time.sleep(0.3)
        room = _call(f"{demo.base}/api/v1/rooms/{room_id}")[1]
        assert room["status"] == "live" and room["store_id"] == HOST_STORE
        assert room["pinned"]["flash_sale"]["id"] == sale_id

        # the sale is scheduled about a minute ahead, from the host's store and its neighbours
        sale = _call(f"{demo.base}/api/v1/flash-sales/{sale_id}")[1]
        assert sale["status"] == "scheduled" and sale["sku"] == SALE_SKU and sale["room_id"] == room_id
        ahead = datetime.fromisoformat(sale["starts_at"].replace("Z", "+00:00")) - datetime.now(UTC)
        assert 20 < ahead.total_seconds() <= 60, ahead
        assert HOST_STORE in sale["remaining_by_store"] and sale["remaining"] == sale["allocated"] > 0

        # seeded catalogue: real stores with coordinates, products with same-origin images
        stores = _call(f"{demo.base}/api/v1/stores")[1]
        assert {s["id"] for s in stores} == {s.id for s in STORES}
        assert all(18 < s["lat"] < 54 and 73 < s["lng"] < 135 for s in stores), "coordinates in China"
        products = _call(f"{demo.base}/api/v1/products")[1]
        assert len(products) == len(PRODUCTS)
        status, svg, headers = _call(demo.base + products[0]["image_url"])
        assert status == 200 and headers["Content-Type"].startswith("image/svg") and b"<svg" in svg

        # the printed tokens work, each within its scope
        status, stock, _ = _call(f"{demo.base}/api/v1/stores/{HOST_STORE}/stock", host_token)
        assert status == 200 and len(stock) == len(PRODUCTS)
        assert _call(f"{demo.base}/api/v1/stores/bj-skp/stock", host_token)[0] == 403
        assert _call(f"{demo.base}/api/v1/flash-sales/{sale_id}/orders", ops_token)[0] == 200
        assert _call(f"{demo.base}/api/v1/flash-sales/{sale_id}/orders", "forged." + ops_token)[0] == 401

        children = demo.descendants()
        assert "redis-server" in children.values() and "ffmpeg" in {n[:6] for n in children.values()}, children
        on_hand = {x["sku"]: x["on_hand"] for x in stock}
    finally:
        code = demo.stop()
    assert code == 0, "\n".join(demo.lines[-30:])
    left = [f"{pid} {name}" for pid, name in children.items() if _alive(pid)]
    assert not left, f"children left after SIGTERM: {left}"

    # a second run on the same data dir reuses it: nothing re-created, stock not reset
    again = Demo(tmp_path, "--no-stream")
    try:
        assert "console:" in again.banner(30)
        assert "/rooms/" not in again.banner()
        assert len(_call(f"{again.base}/api/v1/stores")[1]) == len(STORES)
        stock = _call(f"{again.base}/api/v1/stores/{HOST_STORE}/stock", host_token)[1]  # same secret
        assert {x["sku"]: x["on_hand"] for x in stock} == on_hand
        rooms = _call(f"{again.base}/api/v1/rooms")[1]
        assert [r["status"] for r in rooms if r["id"] == room_id] == ["ended"]
    finally:
        assert again.stop() == 0


def test_the_synthetic_host_falls_back_to_a_clock_free_pattern_without_a_font(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from livecommerce.demo import host_stream

    with_font = host_stream.HostStream("http://127.0.0.1:1/whip/r1", "key")
    args = with_font.args()
    if with_font.clock:  # bootstrap installs the font; this machine may still lack it
        assert "drawtext=" in args[args.index("-vf") + 1] and "localtime" in args[args.index("-vf") + 1]
    monkeypatch.setattr(host_stream, "_FONTS", (Path("/nonexistent/font.ttf"),))
    without = host_stream.HostStream("http://127.0.0.1:1/whip/r1", "key")
    args = without.args()
    assert not without.clock and "-vf" not in args
    assert args[-3:] == ["-authorization", "key", "http://127.0.0.1:1/whip/r1"] and "-bf" in args
