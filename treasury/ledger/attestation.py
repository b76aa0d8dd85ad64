"""Every journal entry recorded in the audit chain as it is appended.

`append_entry` writes, in the same transaction as the entry, one `journal_entry.posted` event
carrying the entry and its postings; sealed into the chain, that record is what `verification`
compares the stored entries, postings, day movements and running balances with. One Core insert
for the entries appended together, whatever their size; the hashing happens after commit, in
the sealer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from treasury.audit import service as audit
from treasury.audit.repository import NewEvent
from treasury.ledger.model import JournalEntry

ENTRY_POSTED = "journal_entry.posted"
OBJECT_TYPE = "journal_entry"
ACTOR = "ledger"

# Positions of a posting's fields in a recorded document's `postings` arrays.
DEBIT, CREDIT, AMOUNT_MINOR, CURRENCY = range(4)


def entry_document(
    *,
    value_date: date,
    kind: str,
    description: str,
    reverses_entry_id: str | None,
    source_id: str | None,
    postings: Iterable[tuple[str, str, int, str]],
    reason: str | None = None,
) -> dict[str, Any]:
    """What the chain records of an entry: its fields and its postings as
    `[debit account, credit account, amount in minor units, currency]`, in posting order; a
    reversal's reason when it has one (older records have none: the key is absent)."""
    document = {
        "value_date": value_date.isoformat(),
        "kind": kind,
        "description": description,
        "reverses_entry_id": reverses_entry_id,
        "source_id": source_id,
        "postings": [list(posting) for posting in postings],
    }
    return document if reason is None else {**document, "reason": reason}


def record_entries(
    session: Session, *, tenant_id: str, entries: Sequence[JournalEntry], posted_at: datetime
) -> None:
    """Record the entries being appended in the audit chain (same transaction, at `posted_at`):
    one event each, written by one insert however many entries there are."""
    audit.record_many(
        session,
        [
            NewEvent(
                tenant_id=tenant_id,
                actor=ACTOR,
                action=ENTRY_POSTED,
                object_type=OBJECT_TYPE,
                object_id=entry.id,
                before=None,
                after=_document(entry),
                occurred_at=posted_at,
            )
            for entry in entries
        ],
    )


def record_entry(
    session: Session, *, tenant_id: str, entry: JournalEntry, posted_at: datetime
) -> None:
    """Record the entry being appended in the audit chain (same transaction, at `posted_at`)."""
    record_entries(session, tenant_id=tenant_id, entries=[entry], posted_at=posted_at)


def _document(entry: JournalEntry) -> dict[str, Any]:
    return entry_document(
        value_date=entry.value_date,
        kind=entry.kind,
        description=entry.description,
        reverses_entry_id=entry.reverses_entry_id,
        source_id=entry.source_id,
        reason=entry.reason,
        postings=(
            (p.debit_account_id, p.credit_account_id, p.amount.minor, p.amount.currency.code)
            for p in entry.postings
        ),
    )
