"""Shared fixtures: a private redis-server per test session, fresh databases, the whole app.

Tests never touch the machine's shared Redis (6379): each xdist worker starts its own
server on a unix socket in its temp dir, and every test starts from FLUSHALL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from livecommerce.redis_client import connect_redis
from tests.redis_cluster import LocalCluster

# test apps must not all try to bind RTMP's 0.0.0.0:1935 (the RTMP tests start their own listener)
os.environ.setdefault("LC_RTMP_PORT", "0")

PG_ADMIN_DSN = os.environ.get("LC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


class RedisProcess:
    """A private redis-server child (AOF on), restartable for fault tests."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.socket = workdir / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server") or "redis-server"
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(self.socket), "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
             "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError, FileNotFoundError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.02)
        client.close()

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def redis_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_process: RedisProcess) -> str:
    client = redis.Redis.from_url(redis_process.url)
    client.flushall()
    client.script_flush()
    client.close()
    return redis_process.url


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A real Redis Cluster (3 masters, 3 replicas) for this test session (per xdist worker)."""
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_url(redis_cluster: LocalCluster) -> str:
    redis_cluster.flushall()
    return redis_cluster.url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = connect_redis(redis_url)
    yield client
    await client.aclose()


def _pg_available() -> bool:
    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=2)
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


_PG_OK: bool | None = None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    global _PG_OK
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'lc.sqlite'}"
        return
    if _PG_OK is None:
        _PG_OK = _pg_available()
    if not _PG_OK:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_DSN}")
        pytest.skip("PostgreSQL not reachable")
    import asyncpg

    name = "lc_test_" + uuid.uuid4().hex[:12]

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'lc.sqlite'}"


# --- the whole app over HTTP -------------------------------------------------------------

TEST_SECRET = "test-secret-0123456789abcdef0123456789"


class Api:
    """A test client with tokens for each role and a seeded catalogue."""

    def __init__(self, client, signer) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.signer = signer
        from livecommerce.web.auth import Role

        self.ops = {"Authorization": "Bearer " + signer.mint(Role.OPS, "ops1")}
        self.host_s1 = {"Authorization": "Bearer " + signer.mint(Role.HOST, "alice", store_id="S1")}
        self.host_s2 = {"Authorization": "Bearer " + signer.mint(Role.HOST, "bob", store_id="S2")}

    def viewer(self, name: str) -> dict[str, str]:
        from livecommerce.web.auth import Role

        uid = self.signer.user_id_for_openid(name)
        return {"Authorization": "Bearer " + self.signer.mint(Role.VIEWER, uid, nickname=name)}

    async def seed(self, stock: dict[str, int] | None = None) -> None:
        from tests.fakes import STORES

        for sid, (lat, lng) in STORES.items():
            r = await self.client.post("/api/v1/stores", json={"id": sid, "name": f"Store {sid}", "city": "Shanghai",
                                                               "lat": lat, "lng": lng}, headers=self.ops)
            assert r.status == 201, await r.text()
        r = await self.client.post("/api/v1/products", json={"sku": "SKU1", "name": "Silk scarf",
                                                             "price_cents": 19900}, headers=self.ops)
        assert r.status == 201, await r.text()
        for sid, qty in (stock or {"S1": 100, "S2": 100, "S3": 100}).items():
            r = await self.client.put(f"/api/v1/stores/{sid}/stock/SKU1", json={"quantity": qty}, headers=self.ops)
            assert r.status == 200, await r.text()

    async def create_sale(self, allocations: dict[str, int], **overrides) -> dict:  # type: ignore[no-untyped-def]
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        body = {
            "sku": "SKU1", "price_cents": 9900,
            "starts_at": (now - timedelta(seconds=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "per_user_limit": 2, "payment_timeout_s": 300,
            "allocations": [{"store_id": s, "quantity": q} for s, q in allocations.items()],
        }
        body.update(overrides)
        r = await self.client.post("/api/v1/flash-sales", json=body, headers=self.ops)
        assert r.status == 201, await r.text()
        return await r.json()


@pytest.fixture
async def api(redis_url: str, sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    async for a in _api(redis_url, sqlite_url, tmp_path):
        yield a


@pytest.fixture
async def cluster_api(cluster_url: str, sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The whole app on the Redis Cluster."""
    async for a in _api(cluster_url, sqlite_url, tmp_path):
        yield a


async def _api(redis_url: str, sqlite_url: str, tmp_path: Path, **overrides: object):  # type: ignore[no-untyped-def]
    from aiohttp.test_utils import TestClient, TestServer

    from livecommerce.app import build_app
    from livecommerce.config import Settings
    from livecommerce.web.auth import SIGNER

    settings = Settings(data_dir=tmp_path, redis_url=redis_url, database_url=sqlite_url, secret=TEST_SECRET,
                        buy_rate_per_s=1000, sweep_interval_s=0.2, **overrides)  # type: ignore[arg-type]
    app = build_app(settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Api(client, app[SIGNER])
    finally:
        await client.close()
