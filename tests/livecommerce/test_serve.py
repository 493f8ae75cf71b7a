"""``livecommerce serve`` as a newcomer runs it: embedded Redis and SQLite, tokens from the CLI,
health that tells the truth, and no child process left behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _cli(*args: str, data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_SECRET", "REDIS_URL", "DATABASE_URL")}
    out = subprocess.run([sys.executable, "-m", "livecommerce", *args, "--data-dir", str(data_dir)],
                         capture_output=True, text=True, env=env, timeout=30, check=True)
    return out.stdout


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LC_SECRET", "REDIS_URL", "DATABASE_URL")}
    proc = subprocess.Popen([sys.executable, "-m", "livecommerce", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--data-dir", str(tmp_path)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if _get(base + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server did not start")
        time.sleep(0.1)
    yield proc, base, tmp_path
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _redis_child(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    redis = [int(c) for c in children if "redis-server" in Path(f"/proc/{c}/cmdline").read_bytes().decode()]
    assert len(redis) == 1, children
    return redis[0]


def test_serve_embedded_defaults_tokens_and_clean_exit(server) -> None:  # type: ignore[no-untyped-def]
    proc, base, data_dir = server
    status, health = _get(base + "/healthz")
    assert status == 200 and health == {"status": "ok", "redis": "ok", "database": "ok"}
    assert (data_dir / "livecommerce.db").exists() and (data_dir / "redis" / "appendonlydir").exists()
    assert (data_dir / "secret").stat().st_mode & 0o077 == 0, "the secret is private to its owner"

    ops = _cli("token", "--role", "ops", data_dir=data_dir).strip()
    assert ops.count(".") == 2 and "\n" not in ops, "the token alone on stdout"
    status, _ = _get(base + "/api/v1/stores", ops, {"id": "S1", "name": "Xujiahui", "city": "Shanghai",
                                                   "lat": 31.19, "lng": 121.44})
    assert status == 201
    host_other = _cli("token", "--role", "host", "--store", "S2", "--user", "bob", data_dir=data_dir).strip()
    status, body = _get(base + "/api/v1/stores", host_other, {"id": "S3", "name": "x", "city": "y",
                                                             "lat": 0, "lng": 0})
    assert status == 403 and body["error"]["code"] == "forbidden"

    status, login = _get(base + "/api/v1/auth/viewer", body={"openid": "oWx-123", "nickname": "小红"})
    assert status == 200 and login["user_id"].startswith("u_")
    assert _get(base + "/api/v1/auth/viewer", body={"openid": "oWx-123"})[1]["user_id"] == login["user_id"]
    assert _get(base + "/api/v1/auth/viewer", body={"openid": ""})[0] == 422

    redis_pid = _redis_child(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    time.sleep(0.2)
    assert not Path(f"/proc/{redis_pid}").exists(), "the private redis-server is stopped with the server"


def test_healthz_reports_redis_down(server) -> None:  # type: ignore[no-untyped-def]
    proc, base, _ = server
    os.kill(_redis_child(proc.pid), signal.SIGKILL)
    time.sleep(0.3)
    status, health = _get(base + "/healthz")
    assert status == 503 and health["redis"] == "down" and health["database"] == "ok"
    status, body = _get(base + "/api/v1/flash-sales/abcdef123456")
    assert status == 503 and body["error"]["code"] == "unavailable"


def test_token_requires_store_for_host(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "livecommerce", "token", "--role", "host",
                             "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--store" in result.stderr and result.stdout == ""


def test_a_killed_server_takes_its_private_redis_with_it(server) -> None:  # type: ignore[no-untyped-def]
    proc, _, _ = server
    redis_pid = _redis_child(proc.pid)
    proc.kill()  # no cleanup runs in the server: the kernel's parent-death signal must do it
    proc.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{redis_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{redis_pid}").exists(), "redis-server outlived its killed server"
