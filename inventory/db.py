"""Database URLs, engines and migrations: the one place that knows which backend is underneath.

SQLite gets WAL, a busy timeout, enforced foreign keys and SQLAlchemy-controlled BEGINs, so that a
writer can ask for ``BEGIN IMMEDIATE`` and take the write lock before it reads (no lost updates,
no snapshot-upgrade failures between processes). PostgreSQL needs nothing special.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "MIGRATION_LOCK_KEY",
    "create_engine",
    "current_revision",
    "migrate",
    "resolve_database_url",
    "writer",
]

SQLITE_BUSY_TIMEOUT_MS = 15_000

#: pg_advisory_xact_lock key serialising migrations between processes ("lc-inv" in ASCII).
MIGRATION_LOCK_KEY = 0x6C_63_2D_69_6E_76

_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: The execution option a writer engine carries; only meaningful on SQLite.
_BEGIN_OPTION = "inventory_sqlite_begin"
_BEGIN_SQL = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN"}


def resolve_database_url(url: str | None, data_dir: Path) -> str:
    """The async SQLAlchemy URL to use: embedded SQLite when none is configured."""
    if not url:
        return f"sqlite+aiosqlite:///{Path(data_dir) / 'livecommerce.db'}"
    return _async_driver(url)


def _async_driver(url: str) -> str:
    """Name the async driver for the plain ``postgresql://``/``sqlite://`` forms; others unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand BEGIN to SQLAlchemy (see _sqlite_begin); then set per-connection pragmas.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(_BEGIN_SQL[mode])


def create_engine(url: str) -> AsyncEngine:
    """An async engine (the URL's async driver named if it was not), with the SQLite hooks if relevant."""
    url = _async_driver(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    sa.event.listen(engine.sync_engine, "connect", _sqlite_connect)
    sa.event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool) whose transactions take SQLite's write lock up front."""
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: sa.Connection) -> None:
    command.upgrade(_alembic_config(connection), "head")


async def migrate(engine: AsyncEngine) -> None:
    """Upgrade to head in one transaction; a no-op when already there, safe to run concurrently.

    PostgreSQL: an advisory lock held to the end of the transaction makes a second process wait and
    then find the schema at head. SQLite: ``BEGIN IMMEDIATE`` does the same through the write lock.
    """
    async with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await conn.run_sync(_upgrade)


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at (None before the first migration)."""
    return MigrationContext.configure(connection).get_current_revision()
