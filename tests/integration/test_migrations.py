"""Migrations up, down and up again on a fresh SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, create_engine, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import compliance.tables
import treasury.accounts.tables
import treasury.audit.tables
import treasury.db.lease
import treasury.idempotency.tables
import treasury.ledger.tables
import treasury.payments.tables
import treasury.refdata.tables
import treasury.tenancy.tables
from treasury.audit import service as audit_service
from treasury.audit.tables import AuditEventRow
from treasury.clock import SystemClock
from treasury.db import migrate
from treasury.db.base import Base
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger import service as ledger_service
from treasury.ledger.tables import AccountDayRow, JournalEntryRow, LedgerAccountRow, PostingRow
from treasury.migrations.seeding import SEED
from treasury.refdata import repository as refdata
from treasury.refdata.tables import ParameterRow
from treasury.tenancy.tables import TenantRow

# Every module with rows, as in the Alembic environment, so that the metadata knows all tables.
ROW_MODULES = (
    compliance.tables,
    treasury.accounts.tables,
    treasury.audit.tables,
    treasury.db.lease,
    treasury.idempotency.tables,
    treasury.ledger.tables,
    treasury.payments.tables,
    treasury.refdata.tables,
    treasury.tenancy.tables,
)
POSTGRES_URL_VARIABLE = "TREASURY_TEST_POSTGRES_URL"
CBF_MU_HISTORY = {
    date(2017, 1, 13): "1",
    date(2020, 3, 11): "1.25",
    date(2021, 1, 7): "1",
    date(2022, 10, 25): "1.25",
    date(2023, 7, 20): "1.5",
    date(2025, 1, 13): "1.75",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind; a PostgreSQL one is created and dropped again."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    superuser_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not superuser_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} not set")
    name = f"treasury_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(superuser_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(superuser_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def inspected(fresh_url: str) -> Iterator[Engine]:
    """A plain engine on the fresh database, for looking at what the migrations left."""
    engine = build_engine(fresh_url, pool_size=1)
    yield engine
    engine.dispose()


def head_revision() -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def trigger_names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return {row[0] for row in connection.execute(text(query))}


def schema_leftovers(engine: Engine) -> set[str]:
    """Functions, sequences and types left in the public schema (PostgreSQL only)."""
    if engine.dialect.name == "sqlite":
        return set()
    query = """
        SELECT 'function ' || p.proname FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
        UNION ALL SELECT 'sequence ' || sequencename FROM pg_sequences WHERE schemaname = 'public'
        UNION ALL SELECT 'type ' || t.typname FROM pg_type t
          JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname = 'public' AND t.typtype = 'e'
    """
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(text(query))}


def table_of(row: Any) -> Table:
    """The plain table of an ORM row class."""
    return cast(Table, row.__table__)


def retired_parameter_count() -> int:
    """Seeded rows a later migration retired (issue 12: parameters read nowhere)."""
    retired = {
        item["name"]
        for item in json.loads((SEED / "parameters_fidelity.json").read_text(encoding="utf-8"))[
            "retired"
        ]
    }
    seeded = json.loads((SEED / "parameters.json").read_text(encoding="utf-8"))["parameters"]
    return sum(1 for item in seeded if item["name"] in retired)


def seeded_parameter_count() -> int:
    return -retired_parameter_count() + sum(
        len(json.loads((SEED / name).read_text(encoding="utf-8"))["parameters"])
        for name in (
            "parameters.json",
            "parameters_compliance.json",
            "parameters_hedging.json",
            "parameters_settlement.json",
            "parameters_payments.json",
            "parameters_fidelity.json",
            "parameters_hedge_book.json",
            "parameters_fidelity_two.json",
            "parameters_positions.json",
            "parameters_corrections.json",
        )
    )


def parameter_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(ParameterRow)) or 0)


def test_upgrade_downgrade_upgrade(fresh_url: str, inspected: Engine) -> None:
    migrate.upgrade(fresh_url)

    assert current_revision(inspected) == head_revision()
    assert set(Base.metadata.tables) | {"alembic_version"} == table_names(inspected)
    assert parameter_rows(inspected) == seeded_parameter_count()
    triggers = trigger_names(inspected)
    assert any(name.startswith("ledger_posting_") for name in triggers)
    assert any(name.startswith("ledger_journal_entry_") for name in triggers)

    migrate.downgrade(fresh_url)

    assert table_names(inspected) == {"alembic_version"}
    assert current_revision(inspected) is None
    assert trigger_names(inspected) == set()
    assert schema_leftovers(inspected) == set()

    migrate.upgrade(fresh_url)

    assert current_revision(inspected) == head_revision()
    assert set(Base.metadata.tables) | {"alembic_version"} == table_names(inspected)
    assert parameter_rows(inspected) == seeded_parameter_count()
    assert trigger_names(inspected) == triggers


def test_seeded_parameters_are_present_after_upgrade(fresh_url: str, inspected: Engine) -> None:
    migrate.upgrade(fresh_url)

    with Session(inspected) as session:
        history = refdata.parameter_history(session, "cbf.mu")
        in_force = refdata.parameters_in_force(session, date(2026, 11, 26), "cbf.mu")

    assert {parameter.effective_from: parameter.value for parameter in history} == CBF_MU_HISTORY
    assert all(parameter.source and parameter.version == 1 for parameter in history)
    assert [parameter.value for parameter in in_force] == ["1.75"]


def test_running_upgrade_twice_changes_nothing(fresh_url: str, inspected: Engine) -> None:
    migrate.upgrade(fresh_url)
    migrate.upgrade(fresh_url)

    assert current_revision(inspected) == head_revision()
    assert parameter_rows(inspected) == seeded_parameter_count()


def test_migrations_match_the_table_definitions(fresh_url: str, inspected: Engine) -> None:
    migrate.upgrade(fresh_url)

    with inspected.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )

    assert differences == []


def _ledger_before_the_guards(engine: Engine) -> str:
    """A tenant, two accounts and one posted entry, written as the ledger did before
    2026_12_02_ledger_guards (no audit record); returns the entry's id."""
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    tenant_id, bank, suspense, entry_id = (str(uuid.uuid4()) for _ in range(4))
    account = {"tenant_id": tenant_id, "entity_id": None, "currency": "CNY", "created_at": now}
    with engine.begin() as connection:
        connection.execute(
            insert(table_of(TenantRow)),
            {"id": tenant_id, "slug": f"m-{tenant_id[:8]}", "name": "M", "created_at": now},
        )
        connection.execute(
            insert(table_of(LedgerAccountRow)),
            [
                {
                    **account,
                    "id": bank,
                    "account_key": f"bank:{bank}",
                    "kind": "bank",
                    "name": "bank",
                    "balance_minor": 500,
                    "reserved_minor": 0,
                    "overdraft_limit_minor": 0,
                    "counterpart_entity_id": None,
                },
                {
                    **account,
                    "id": suspense,
                    "account_key": "s",
                    "kind": "suspense",
                    "name": "suspense",
                    "balance_minor": -500,
                    "reserved_minor": 0,
                    "overdraft_limit_minor": None,
                    "counterpart_entity_id": None,
                },
            ],
        )
        connection.execute(
            insert(table_of(JournalEntryRow)),
            {
                "id": entry_id,
                "tenant_id": tenant_id,
                "value_date": date(2026, 11, 26),
                "kind": "statement_line",
                "description": "funding",
                "reverses_entry_id": None,
                "source_id": None,
                "posted_at": now,
            },
        )
        connection.execute(
            insert(table_of(PostingRow)),
            {
                "entry_id": entry_id,
                "tenant_id": tenant_id,
                "debit_account_id": bank,
                "credit_account_id": suspense,
                "amount_minor": 500,
                "currency": "CNY",
                "value_date": date(2026, 11, 26),
            },
        )
        connection.execute(
            insert(table_of(AccountDayRow)),
            [
                {"account_id": bank, "value_date": date(2026, 11, 26), "movement_minor": 500},
                {"account_id": suspense, "value_date": date(2026, 11, 26), "movement_minor": -500},
            ],
        )
    return entry_id


def test_entries_posted_before_the_guards_are_recorded_and_sealed(
    fresh_url: str, inspected: Engine
) -> None:
    migrate.upgrade(fresh_url, "2026_11_27_pooling")
    entry_id = _ledger_before_the_guards(inspected)
    factory = UnitOfWorkFactory(inspected, SystemClock())

    migrate.upgrade(fresh_url)
    migrate.downgrade(fresh_url, "2026_11_27_pooling")
    migrate.upgrade(fresh_url)  # records each entry once

    with inspected.connect() as connection:
        records = connection.execute(
            select(AuditEventRow.chain_index, AuditEventRow.actor).where(
                AuditEventRow.object_id == entry_id
            )
        ).all()
    assert [(index is not None, actor) for index, actor in records] == [
        (True, "migration 2026_12_02_ledger_guards")
    ]
    assert ledger_service.verify_ledger(factory.read_only()).ok
    audit = audit_service.verify(factory.read_only(), None)
    assert audit.ok
    assert audit.verification.count == 1
