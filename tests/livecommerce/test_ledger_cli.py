"""``livecommerce worker`` survives a SIGKILL mid-storm (its successor reclaims what it left pending),
and ``livecommerce verify`` passes good books and fails corrupted ones. Real processes, real servers."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from redis.exceptions import ResponseError

from flash_sale._stream_group import GROUP, stream_key
from inventory.db import create_engine
from livecommerce.cli import main
from livecommerce.ledger_cli import run_verify
from livecommerce.redis_client import connect_redis
from tests.ledger_stack import LedgerStack, ledger_stack, storm, wait_until

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def stack(redis_client: aioredis.Redis, database_url: str) -> AsyncIterator[LedgerStack]:
    async with ledger_stack(redis_client, database_url) as s:
        yield s


async def _spawn_worker(redis_url: str, database_url: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": database_url, "LC_LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "livecommerce", "worker", "--claim-idle-s", "1", env=env,
        stderr=asyncio.subprocess.PIPE, cwd=REPO)
    assert proc.stderr is not None
    line = await asyncio.wait_for(proc.stderr.readline(), 30)
    assert b"running" in line, line
    return proc


async def _pending_of(client: aioredis.Redis, sale: str, consumer: str) -> int:
    try:
        consumers = await client.xinfo_consumers(stream_key(sale), GROUP)
    except ResponseError:  # neither the first buy nor the worker has created the stream and group yet
        return 0
    for c in consumers:
        if c["name"] == consumer:
            return int(c["pending"])
    return 0


async def test_sigkilled_worker_is_replaced_and_the_books_verify(
    stack: LedgerStack, redis_url: str, database_url: str
) -> None:
    sale = await stack.new_sale()
    first = await _spawn_worker(redis_url, database_url)
    victim = f"{socket.gethostname()}:{first.pid}"
    storming = asyncio.create_task(storm(stack.core, sale, 3000, concurrency=50))
    try:
        await wait_until(lambda: _pending_of(stack.client, sale, victim), timeout_s=20, every_s=0.002)
        first.send_signal(signal.SIGKILL)
        await first.wait()
    finally:
        acked = await storming
    second = await _spawn_worker(redis_url, database_url)
    try:
        async def caught_up() -> bool:
            info = await stack.client.xinfo_groups(stream_key(sale))
            return info[0]["lag"] == 0 and info[0]["pending"] == 0

        await wait_until(caught_up, timeout_s=30)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 15) == 0
    assert await _pending_of(stack.client, sale, victim) == 0, "the successor took over what the victim held"
    ledger = await stack.ledger.order_statuses(sale)
    assert all(ledger.get(o) == s for o, s in acked.items()) and len(acked) == 3000
    out = io.StringIO()
    assert await run_verify(redis_url, database_url, sale=sale, wait_s=5, out=out) == 0, out.getvalue()


async def _corrupt(database_url: str, sale: str) -> tuple[str, str]:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            rows = (await conn.execute(sa.text(
                "SELECT order_id, status FROM orders WHERE sale_id = :s ORDER BY order_id"), {"s": sale})).all()
            paid = next(r.order_id for r in rows if r.status == "paid")
            gone = next(r.order_id for r in rows if r.status == "reserved")
            await conn.execute(sa.text("UPDATE orders SET status = 'reserved' WHERE order_id = :o"), {"o": paid})
            await conn.execute(sa.text("DELETE FROM orders WHERE order_id = :o"), {"o": gone})
    finally:
        await engine.dispose()
    return paid, gone


def test_verify_passes_good_books_and_fails_corrupted_ones(
    redis_url: str, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def books() -> str:
        client = connect_redis(redis_url)
        try:
            async with ledger_stack(client, database_url) as s:
                sale = await s.new_sale()
                await storm(s.core, sale, 300)  # no worker: verify drains the stream itself
                return sale
        finally:
            await client.aclose()

    sale = asyncio.run(books())
    (tmp_path / "redis.url").write_text(redis_url)  # as a running serve leaves it
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["verify", "--data-dir", str(tmp_path), "--wait", "5"]) == 0
    out = capsys.readouterr().out
    assert f"sale {sale}  ok" in out and "1 sales checked, 0 with differences" in out
    paid, gone = asyncio.run(_corrupt(database_url, sale))
    assert main(["verify", "--data-dir", str(tmp_path), "--sale", sale, "--wait", "0.5"]) == 1
    out = capsys.readouterr().out
    assert f"sale {sale}  FAIL" in out
    assert f"order {paid}: redis says paid, ledger says reserved" in out
    assert "1 orders missing from the ledger: " + gone in out
    assert main(["verify", "--wait", "0"]) == 2, "no Redis to be found"
