"""Alembic environment: every tables module's rows, the URL handed over by `treasury.db.migrate`."""

from __future__ import annotations

from alembic import context

# Every module with rows, so that the metadata knows all tables.
import compliance.tables  # noqa: F401
import hedging.tables  # noqa: F401
import pooling.tables  # noqa: F401
import treasury.accounts.tables
import treasury.audit.tables
import treasury.db.lease
import treasury.idempotency.tables
import treasury.ledger.tables
import treasury.payments.tables
import treasury.refdata.tables
import treasury.settlement.tables
import treasury.tenancy.tables  # noqa: F401
from treasury.db.base import Base
from treasury.db.engine import build_engine

target_metadata = Base.metadata


def run_migrations() -> None:
    """Migrate online, in one transaction."""
    url = context.config.attributes["database_url"]
    engine = build_engine(url, pool_size=1)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
