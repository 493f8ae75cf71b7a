"""URL resolution, SQLite connection settings, and migrations (idempotent, concurrent, matching schema)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from inventory import Inventory, Product, Store
from inventory.db import create_engine, current_revision, migrate, resolve_database_url
from inventory.schema import metadata

TABLES = {"stores", "products", "stock", "flash_sales", "flash_sale_allocations", "orders", "alembic_version"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "sqlite+aiosqlite:////data/livecommerce.db"),
        ("", "sqlite+aiosqlite:////data/livecommerce.db"),
        ("postgresql://u:p@db:5432/lc", "postgresql+asyncpg://u:p@db:5432/lc"),
        ("postgres://u@db/lc", "postgresql+asyncpg://u@db/lc"),
        ("postgresql+asyncpg://u@db/lc", "postgresql+asyncpg://u@db/lc"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
    ],
)
def test_resolve_database_url(given: str | None, expected: str) -> None:
    assert resolve_database_url(given, Path("/data")) == expected


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 1000
    finally:
        await engine.dispose()


async def test_sqlite_file_is_created_under_a_missing_data_dir(tmp_path: Path) -> None:
    inv = Inventory(resolve_database_url(None, tmp_path / "new" / "dir"))
    await inv.start()
    try:
        assert await inv.ping()
    finally:
        await inv.stop()
    assert (tmp_path / "new" / "dir" / "livecommerce.db").exists()


async def _tables(engine: sa.ext.asyncio.AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def test_migrations_create_the_schema_at_head(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        assert TABLES <= await _tables(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(current_revision) == "0003"
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
        assert diff == [], f"schema.py and the migrations disagree: {diff}"
    finally:
        await engine.dispose()


async def test_rerunning_migrations_is_a_no_op(database_url: str) -> None:
    first = Inventory(database_url)
    await first.start()
    await first.create_store(Store("S1", "One", "Hangzhou", 30.0, 120.0))
    await first.stop()

    engine = create_engine(database_url)
    statements: list[str] = []
    sa.event.listen(
        engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2].strip().upper())
    )
    try:
        await migrate(engine)
        await migrate(engine)
    finally:
        await engine.dispose()
    writes = [
        s for s in statements if s.split()[0] in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []

    again = Inventory(database_url)
    await again.start()
    try:
        assert [s.id for s in await again.list_stores()] == ["S1"]
    finally:
        await again.stop()


async def test_two_processes_starting_at_once_both_succeed(database_url: str) -> None:
    a, b = Inventory(database_url), Inventory(database_url)
    await asyncio.gather(a.start(), b.start())
    try:
        await a.create_product(Product("P1", "Tea", 100))
        assert [p.sku for p in await b.list_products()] == ["P1"]
        async with a.engine.connect() as conn:
            assert await conn.run_sync(current_revision) == "0003"
            rows = (await conn.execute(sa.text("SELECT count(*) FROM alembic_version"))).scalar()
        assert rows == 1
    finally:
        await asyncio.gather(a.stop(), b.stop())


async def test_check_constraints_forbid_negative_stock(stocked: Inventory) -> None:
    with pytest.raises(IntegrityError):
        async with stocked.engine.begin() as conn:
            await conn.execute(sa.text("UPDATE stock SET on_hand = on_hand - 1000 WHERE store_id = 'S1'"))
    with pytest.raises(IntegrityError):
        async with stocked.engine.begin() as conn:
            await conn.execute(sa.text("UPDATE stock SET allocated = -1 WHERE store_id = 'S1'"))


async def test_foreign_keys_are_enforced(inventory: Inventory) -> None:
    with pytest.raises(IntegrityError):
        async with inventory.engine.begin() as conn:
            await conn.execute(
                sa.text("INSERT INTO stock (store_id, sku, on_hand, allocated) VALUES ('nope', 'nope', 1, 0)")
            )


async def test_ping_tracks_the_database(database_url: str) -> None:
    inv = Inventory(database_url)
    assert not await inv.ping()
    await inv.start()
    assert await inv.ping()
    await inv.stop()
    assert not await inv.ping()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_ping_is_false_once_postgresql_goes_away(database_url: str) -> None:
    import asyncpg

    inv = Inventory(database_url)
    await inv.start()
    try:
        assert await inv.ping()
        admin = await asyncpg.connect(database_url)
        try:
            await admin.execute(
                "UPDATE pg_database SET datallowconn = false WHERE datname = current_database()"
            )
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        assert not await inv.ping()
    finally:
        await inv.stop()


async def test_start_fails_cleanly_when_the_database_is_unreachable() -> None:
    inv = Inventory("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    with pytest.raises((OSError, sa.exc.OperationalError, sa.exc.InterfaceError)):
        await inv.start()
    assert not await inv.ping()
