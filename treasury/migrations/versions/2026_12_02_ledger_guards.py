"""ledger guards: append-only holds against TRUNCATE and INSERT OR REPLACE

PostgreSQL: BEFORE TRUNCATE triggers on entries and postings (the row triggers of the foundation
never fire for TRUNCATE, CASCADE or not). SQLite: INSERT OR REPLACE deletes the row it conflicts
with without firing DELETE triggers, so a BEFORE INSERT trigger refuses an insert whose primary
key (or, for entries, `reverses_entry_id`) is taken; the check is an index lookup, and for the
application's own inserts (new keys) it finds nothing.

Entries posted before this revision are recorded in the audit chain now (`journal_entry.posted`,
as `append_entry` records every new one) and sealed, so `treasury ledger verify` covers them too.

Revision ID: 2026_12_02_ledger_guards
Revises: 2026_11_27_pooling
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from treasury.audit import repository as audit_repository
from treasury.audit.tables import AuditEventRow
from treasury.ledger.attestation import ENTRY_POSTED, OBJECT_TYPE, entry_document
from treasury.ledger.tables import JournalEntryRow, PostingRow

revision = "2026_12_02_ledger_guards"
down_revision = "2026_11_27_pooling"
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("ledger_journal_entry", "ledger_posting")
REFUSAL = "ledger entries and postings are append-only"
# The rows an insert must not push out (SQLite), by table.
TAKEN = {
    "ledger_posting": "id = NEW.id",
    "ledger_journal_entry": "id = NEW.id OR reverses_entry_id = NEW.reverses_entry_id",
}
BACKFILL_ACTOR = "migration 2026_12_02_ledger_guards"
BACKFILL_BATCH = 1000


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
            )
    else:
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {TAKEN[table]}) "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
    _record_earlier_entries()


def _record_earlier_entries() -> None:
    """A `journal_entry.posted` record for every entry without one, sealed into the chain."""
    session = Session(bind=op.get_bind())
    recorded = sa.exists().where(
        AuditEventRow.action == ENTRY_POSTED, AuditEventRow.object_id == JournalEntryRow.id
    )
    query = (
        sa.select(JournalEntryRow)
        .where(~recorded)
        .order_by(JournalEntryRow.posted_at, JournalEntryRow.id)
        .execution_options(yield_per=BACKFILL_BATCH)
    )
    backfilled = 0
    for entries in session.scalars(query).partitions():
        _record(session, list(entries))
        backfilled += len(entries)
    if backfilled:
        while audit_repository.seal(session) == audit_repository.SEAL_BATCH:
            pass
    session.flush()
    session.close()


def _record(session: Session, entries: list[JournalEntryRow]) -> None:
    postings: dict[str, list[tuple[str, str, int, str]]] = defaultdict(list)
    query = (
        sa.select(PostingRow)
        .where(PostingRow.entry_id.in_([entry.id for entry in entries]))
        .order_by(PostingRow.id)
    )
    for posting in session.scalars(query):
        postings[posting.entry_id].append(
            (
                posting.debit_account_id,
                posting.credit_account_id,
                posting.amount_minor,
                posting.currency,
            )
        )
    for entry in entries:
        audit_repository.append_at_once(
            session,
            tenant_id=entry.tenant_id,
            actor=BACKFILL_ACTOR,
            action=ENTRY_POSTED,
            object_type=OBJECT_TYPE,
            object_id=entry.id,
            after=entry_document(
                value_date=entry.value_date,
                kind=entry.kind,
                description=entry.description,
                reverses_entry_id=entry.reverses_entry_id,
                source_id=entry.source_id,
                postings=postings[entry.id],
            ),
            occurred_at=entry.posted_at,
        )


def downgrade() -> None:
    # The records written for earlier entries stay: they are sealed into the audit chain.
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        return
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
