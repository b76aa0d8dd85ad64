"""The ledger's append-only guarantee: the database refuses rewrites; what gets past it is found.

PostgreSQL refuses TRUNCATE and SQLite refuses INSERT OR REPLACE on entries and postings (both
also refuse UPDATE and DELETE). A change made behind the triggers' back (dropped or disabled by
someone with DDL rights), or to a running balance or a day's movement, is named by `treasury
ledger verify` and by `treasury audit verify`: balances are checked against their postings, and
every entry and its postings against the record of it sealed into the audit chain.

Each test works on a database of its own (the `fresh` fixture of the audit chain tests).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner, Result

from tests.integration import test_audit_chain
from tests.integration.test_audit_chain import Fresh, execute, make_history
from tests.support import fund
from treasury import cli
from treasury.audit import service as audit_service

APPEND_ONLY = ("ledger_journal_entry", "ledger_posting")
# A freshly migrated database of its own per test, with the API over it.
fresh = test_audit_chain.fresh


@pytest.fixture(autouse=True)
def _sealers_done_first() -> Iterator[None]:
    """Let the audit sealer's timers finish before the next test's tampering starts."""
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


def run(fresh: Fresh, monkeypatch: pytest.MonkeyPatch, *arguments: str) -> Result:
    """A `treasury` command in-process on the fresh database (its engine, its clock)."""
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: fresh.uow_factory)
    environment = {
        "TREASURY_DATABASE_URL": fresh.url,
        "TREASURY_AUDIT_ANCHOR_DIR": str(fresh.anchor_dir),
    }
    return CliRunner().invoke(cli.app, list(arguments), env=environment)


def rows(fresh: Fresh, query: str, **parameters: Any) -> list[dict[str, Any]]:
    with fresh.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(query), parameters)]


def one(fresh: Fresh, query: str, **parameters: Any) -> dict[str, Any]:
    [row] = rows(fresh, query, **parameters)
    return row


def behind_the_triggers(fresh: Fresh, *statements: tuple[str, dict[str, Any]]) -> None:
    """Run statements with the append-only triggers out of the way, then put them back (what
    someone with DDL rights can do)."""
    with fresh.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for table in APPEND_ONLY:
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            for statement, parameters in statements:
                connection.execute(text(statement), parameters)
            for table in APPEND_ONLY:
                connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
            return
        triggers = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name, _ in triggers:
            connection.execute(text(f'DROP TRIGGER "{name}"'))
        for statement, parameters in statements:
            connection.execute(text(statement), parameters)
        for _, sql in triggers:
            connection.execute(text(sql))


def a_transfer_posting(fresh: Fresh) -> dict[str, Any]:
    """The first posting of a transfer's entry."""
    return rows(
        fresh,
        "SELECT p.* FROM ledger_posting p JOIN ledger_journal_entry e ON e.id = p.entry_id "
        "WHERE e.kind = 'transfer' ORDER BY p.id",
    )[0]


def move(account_id: str, value_date: Any, change: int) -> list[tuple[str, dict[str, Any]]]:
    """Statements shifting an account's running balance and its day's movement by `change`."""
    return [
        (
            "UPDATE ledger_account SET balance_minor = balance_minor + :c WHERE id = :a",
            {"c": change, "a": account_id},
        ),
        (
            "UPDATE ledger_account_day SET movement_minor = movement_minor + :c "
            "WHERE account_id = :a AND value_date = :d",
            {"c": change, "a": account_id, "d": value_date},
        ),
    ]


def assert_named(fresh: Fresh, monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Both `treasury ledger verify` and `treasury audit verify` fail and name every one."""
    for command in (("ledger", "verify"), ("audit", "verify")):
        result = run(fresh, monkeypatch, *command)
        assert result.exit_code == 1, (command, result.output)
        for name in names:
            assert name in result.stderr, (command, name, result.output)


# The database refuses -----------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_truncating_entries_or_postings_is_refused(fresh: Fresh) -> None:
    make_history(fresh)
    before = one(fresh, "SELECT count(*) AS n FROM ledger_posting")["n"]

    for table in (*APPEND_ONLY, "ledger_account"):
        with pytest.raises(DBAPIError, match="append-only"):
            execute(fresh, f"TRUNCATE {table} CASCADE")

    assert before > 0
    assert one(fresh, "SELECT count(*) AS n FROM ledger_posting")["n"] == before


def test_insert_or_replace_cannot_rewrite_a_posting_or_an_entry(
    sqlite_only: None, fresh: Fresh
) -> None:
    history = make_history(fresh)
    posting = a_transfer_posting(fresh)
    entry = one(fresh, "SELECT * FROM ledger_journal_entry WHERE id = :id", id=posting["entry_id"])
    funding = rows(fresh, "SELECT id FROM ledger_journal_entry WHERE kind = 'statement_line'")[0]
    reversed_ = fresh.client.post(
        f"/v1/journal-entries/{funding['id']}/reversal",
        json={"reason": "funded twice"},
        headers=history.tenant.treasurer,
    )
    assert reversed_.status_code == 201, reversed_.text
    reversal = reversed_.json()

    attempts = [
        (
            "INSERT OR REPLACE INTO ledger_posting (id, entry_id, tenant_id, debit_account_id, "
            "credit_account_id, amount_minor, currency, value_date) VALUES (:id, :entry_id, "
            ":tenant_id, :debit_account_id, :credit_account_id, 1, :currency, :value_date)",
            posting,
        ),
        (
            "REPLACE INTO ledger_journal_entry (id, tenant_id, value_date, kind, description, "
            "reverses_entry_id, source_id, posted_at) VALUES (:id, :tenant_id, :value_date, "
            ":kind, 'rewritten', :reverses_entry_id, :source_id, :posted_at)",
            entry,
        ),
        (  # a second "reversal" that would push out the real one by its unique reverses_entry_id
            "INSERT OR REPLACE INTO ledger_journal_entry (id, tenant_id, value_date, kind, "
            "description, reverses_entry_id, source_id, posted_at) VALUES (:new, :tenant_id, "
            ":value_date, 'reversal', 'forged', :reverses_entry_id, NULL, :posted_at)",
            {**entry, "new": str(uuid.uuid4()), "reverses_entry_id": funding["id"]},
        ),
    ]
    for statement, parameters in attempts:
        with pytest.raises(DBAPIError, match="append-only"):
            execute(fresh, statement, **parameters)

    assert a_transfer_posting(fresh) == posting
    assert one(fresh, "SELECT * FROM ledger_journal_entry WHERE id = :id", id=entry["id"]) == entry
    assert one(
        fresh, "SELECT id FROM ledger_journal_entry WHERE reverses_entry_id = :id", id=funding["id"]
    ) == {"id": reversal["id"]}


# What gets past the database is found -------------------------------------------------------------


def test_an_untouched_ledger_verifies(fresh: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    make_history(fresh)
    audit_service.seal_pending(fresh.uow_factory())
    counts = one(
        fresh,
        "SELECT (SELECT count(*) FROM ledger_account) AS accounts, "
        "(SELECT count(*) FROM ledger_journal_entry) AS entries, "
        "(SELECT count(*) FROM ledger_posting) AS postings",
    )

    ledger = run(fresh, monkeypatch, "ledger", "verify")
    audit = run(fresh, monkeypatch, "audit", "verify")

    assert ledger.exit_code == 0, ledger.output
    assert (
        f"ledger ok: {counts['accounts']} accounts, {counts['entries']} entries, "
        f"{counts['postings']} postings" in ledger.stdout
    )
    assert audit.exit_code == 0, audit.output
    assert "audit chain ok" in audit.stdout
    assert "ledger ok" in audit.stdout


def test_a_changed_running_balance_is_named(fresh: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    make_history(fresh)
    posting = a_transfer_posting(fresh)
    execute(
        fresh,
        "UPDATE ledger_account SET balance_minor = balance_minor + 100 WHERE id = :id",
        id=posting["debit_account_id"],
    )

    assert_named(fresh, monkeypatch, f"account {posting['debit_account_id']}", "balance")


def test_a_changed_day_movement_is_named(fresh: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    make_history(fresh)
    posting = a_transfer_posting(fresh)
    execute(
        fresh,
        "UPDATE ledger_account_day SET movement_minor = movement_minor - 5 "
        "WHERE account_id = :a AND value_date = :d",
        a=posting["credit_account_id"],
        d=posting["value_date"],
    )

    assert_named(fresh, monkeypatch, f"account {posting['credit_account_id']}", "movement")


def test_a_posting_rewritten_with_its_balances_is_named_by_the_chain(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_history(fresh)
    posting = a_transfer_posting(fresh)
    more = 99_00
    behind_the_triggers(
        fresh,
        (
            "UPDATE ledger_posting SET amount_minor = amount_minor + :m WHERE id = :id",
            {"m": more, "id": posting["id"]},
        ),
        *move(posting["debit_account_id"], posting["value_date"], more),
        *move(posting["credit_account_id"], posting["value_date"], -more),
    )

    assert_named(fresh, monkeypatch, f"entry {posting['entry_id']}", "audit chain")


def test_a_deleted_posting_with_its_balances_undone_is_named_by_the_chain(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_history(fresh)
    posting = a_transfer_posting(fresh)
    behind_the_triggers(
        fresh,
        ("DELETE FROM ledger_posting WHERE id = :id", {"id": posting["id"]}),
        *move(posting["debit_account_id"], posting["value_date"], -posting["amount_minor"]),
        *move(posting["credit_account_id"], posting["value_date"], posting["amount_minor"]),
    )

    assert_named(fresh, monkeypatch, f"entry {posting['entry_id']}")


def test_a_rewritten_entry_description_is_named_by_the_chain(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_history(fresh)
    entry_id = a_transfer_posting(fresh)["entry_id"]
    behind_the_triggers(
        fresh,
        (
            "UPDATE ledger_journal_entry SET description = 'nothing to see' WHERE id = :id",
            {"id": entry_id},
        ),
    )

    assert_named(fresh, monkeypatch, f"entry {entry_id}")


def test_a_forged_entry_with_consistent_balances_is_named_by_the_chain(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_history(fresh)
    model = a_transfer_posting(fresh)
    entry = one(fresh, "SELECT * FROM ledger_journal_entry WHERE id = :id", id=model["entry_id"])
    forged = str(uuid.uuid4())
    amount = 5_000_00
    behind_the_triggers(
        fresh,
        (
            "INSERT INTO ledger_journal_entry (id, tenant_id, value_date, kind, description, "
            "reverses_entry_id, source_id, posted_at) VALUES (:id, :tenant_id, :value_date, "
            "'transfer', 'consulting', NULL, NULL, :posted_at)",
            {**entry, "id": forged},
        ),
        (
            "INSERT INTO ledger_posting (entry_id, tenant_id, debit_account_id, "
            "credit_account_id, amount_minor, currency, value_date) VALUES (:e, :tenant_id, "
            ":debit_account_id, :credit_account_id, :m, :currency, :value_date)",
            {**model, "e": forged, "m": amount},
        ),
        *move(model["debit_account_id"], model["value_date"], amount),
        *move(model["credit_account_id"], model["value_date"], -amount),
    )

    assert_named(fresh, monkeypatch, f"entry {forged}")


def test_every_entry_is_sealed_into_the_chain_soon_after_commit(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = make_history(fresh)
    account = rows(fresh, "SELECT id FROM ledger_account WHERE kind = 'bank'")[0]["id"]
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)
    before = one(fresh, "SELECT count(*) AS n FROM audit_event")["n"]

    # a statement line records no audit event of its own: only its journal entry's record
    fund(fresh.client, history.tenant.treasurer, account, "12.34")
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)

    recorded = rows(fresh, "SELECT * FROM audit_event ORDER BY seq")[before:]
    assert [(event["action"], event["object_type"]) for event in recorded] == [
        ("journal_entry.posted", "journal_entry")
    ]
    assert recorded[0]["chain_index"] is not None
    assert run(fresh, monkeypatch, "ledger", "verify").exit_code == 0
