"""Alembic environment: runs on the connection the application hands over, never its own engine.

The app calls ``inventory.db.migrate``, which opens a transaction (and takes the migration lock),
puts the connection in ``config.attributes["connection"]`` and upgrades. Offline (SQL script) mode
is not supported: the schema is always applied by the application itself.
"""

from __future__ import annotations

from alembic import context

from inventory.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("inventory migrations run through inventory.db.migrate(engine), with a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
