"""Alembic environment: always run on the connection vetcards passes in.

vetcards never builds a URL here: the key comes from the caller's engine,
so no passphrase ever appears in a config file.

A revision in ``versions/`` imports nothing of vetcards (tables, seed rows and
constants are written out in it), so what it does never changes with the code;
it holds only what Alembic reads: its description (the docstring's first
paragraph is the message), ``revision``, ``down_revision``, ``upgrade`` and
``downgrade`` (``branch_labels`` and ``depends_on`` default to none).
"""

from alembic import context
from sqlmodel import SQLModel

from vetcards import models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # pragma: no cover - only reachable by misuse
        raise RuntimeError("vetcards migrations run only through vetcards.migrate")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
