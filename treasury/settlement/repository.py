"""Every query of settlement: reference versions, route decisions, messages and bank reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from treasury.calendars import CalendarOverride
from treasury.db.base import new_id
from treasury.db.prepared import Prepared
from treasury.settlement.tables import (
    BankReportRow,
    CalendarOverrideRow,
    ParticipantRow,
    PaymentMessageRow,
    RailRow,
    RouteDecisionRow,
    StatementMatchRow,
)

# Compiled once and run on the driver's cursor (`treasury.db.prepared`): every transfer stores its
# decision by this; the keys are `decision_values`'.
_INSERT_DECISION = Prepared(
    insert(cast(Table, RouteDecisionRow.__table__)),
    (
        "id",
        "tenant_id",
        "transfer_id",
        "status",
        "rail_id",
        "ruleset_version",
        "decision_json",
        "end_to_end_id",
        "uetr",
        "send_date",
        "created_at",
    ),
)


def _latest(rows: list[Any], key: str) -> dict[str, Any]:
    """The newest version per key among rows in force (latest effective_from, then version)."""
    found: dict[str, Any] = {}
    for row in rows:
        current = found.get(getattr(row, key))
        if current is None or (row.effective_from, row.version) > (
            current.effective_from,
            current.version,
        ):
            found[getattr(row, key)] = row
    return found


def participant_documents(session: Session, on: date) -> dict[str, dict[str, Any]]:
    """Each participant's document in force on `on`, by BIC."""
    rows = session.scalars(select(ParticipantRow).where(ParticipantRow.effective_from <= on)).all()
    return {bic: json.loads(row.document_json) for bic, row in _latest(list(rows), "bic").items()}


def rail_documents(session: Session, on: date) -> dict[str, dict[str, Any]]:
    """Each rail's document in force on `on`, by rail id."""
    rows = session.scalars(select(RailRow).where(RailRow.effective_from <= on)).all()
    return {
        key: json.loads(row.document_json) for key, row in _latest(list(rows), "rail_id").items()
    }


def calendar_overrides(session: Session, on: date) -> list[CalendarOverride]:
    """The newest version of each calendar year in force on `on`."""
    rows = session.scalars(
        select(CalendarOverrideRow).where(CalendarOverrideRow.effective_from <= on)
    ).all()
    latest: dict[tuple[str, int], CalendarOverrideRow] = {}
    for row in rows:
        current = latest.get((row.calendar, row.year))
        if current is None or (row.effective_from, row.version) > (
            current.effective_from,
            current.version,
        ):
            latest[(row.calendar, row.year)] = row
    return [
        CalendarOverride(
            calendar=row.calendar,
            year=row.year,
            holidays=frozenset(date.fromisoformat(d) for d in json.loads(row.holidays_json)),
            working_days=frozenset(
                date.fromisoformat(d) for d in json.loads(row.working_days_json)
            ),
            status=row.status,
            source=row.source,
        )
        for _, row in sorted(latest.items())
    ]


def reference_stamp(session: Session) -> tuple[Any, ...]:
    """A cheap fingerprint of the stored reference tables: changes whenever a version is added."""
    stamps = []
    for table in (ParticipantRow, RailRow, CalendarOverrideRow):
        stamps.append(session.execute(select(func.count(), func.max(table.loaded_at))).one())
    return tuple(tuple(stamp) for stamp in stamps)


def _next_version(session: Session, column: Any, key_column: Any, key: Any) -> int:
    found = session.scalar(select(func.max(column)).where(key_column == key))
    return int(found or 0) + 1


def add_participant(
    session: Session, document: dict[str, Any], *, effective_from: date, source: str, now: datetime
) -> ParticipantRow:
    """A new version of a participant."""
    row = ParticipantRow(id=new_id(), bic=document["bic"])
    return _add_version(
        session, row, document, effective_from=effective_from, source=source, now=now
    )


def add_rail(
    session: Session, document: dict[str, Any], *, effective_from: date, source: str, now: datetime
) -> RailRow:
    """A new version of a rail."""
    row = RailRow(id=new_id(), rail_id=document["id"])
    return _add_version(
        session, row, document, effective_from=effective_from, source=source, now=now
    )


_Versioned = TypeVar("_Versioned", ParticipantRow, RailRow)


def _add_version(
    session: Session,
    row: _Versioned,
    document: dict[str, Any],
    *,
    effective_from: date,
    source: str,
    now: datetime,
) -> _Versioned:
    """Store `row` (its key set) as the next version of its key, with the document."""
    if isinstance(row, ParticipantRow):
        row.version = _next_version(session, ParticipantRow.version, ParticipantRow.bic, row.bic)
    else:
        row.version = _next_version(session, RailRow.version, RailRow.rail_id, row.rail_id)
    row.document_json = json.dumps(document, sort_keys=True, ensure_ascii=False)
    row.effective_from, row.source, row.loaded_at = effective_from, source, now
    session.add(row)
    session.flush()
    return row


def add_calendar_override(
    session: Session, override: CalendarOverride, *, effective_from: date, now: datetime
) -> CalendarOverrideRow:
    """A new version of a calendar year."""
    existing = session.scalar(
        select(func.max(CalendarOverrideRow.version)).where(
            CalendarOverrideRow.calendar == override.calendar,
            CalendarOverrideRow.year == override.year,
        )
    )
    row = CalendarOverrideRow(
        id=new_id(),
        calendar=override.calendar,
        year=override.year,
        version=int(existing or 0) + 1,
        holidays_json=json.dumps(sorted(d.isoformat() for d in override.holidays)),
        working_days_json=json.dumps(sorted(d.isoformat() for d in override.working_days)),
        status=override.status,
        effective_from=effective_from,
        source=override.source,
        loaded_at=now,
    )
    session.add(row)
    session.flush()
    return row


def versions(session: Session, table: Any, key_column: Any) -> list[Any]:
    """Every stored version of a reference table, by key then version."""
    return list(session.scalars(select(table).order_by(key_column, table.version)).all())


def save_decision(
    session: Session,
    *,
    tenant_id: str,
    transfer_id: str,
    decision: dict[str, Any],
    now: datetime,
) -> RouteDecisionRow:
    """Store a transfer's routing decision, with the EndToEndId and UETR its files will carry."""
    row = RouteDecisionRow(**decision_values(tenant_id, transfer_id, decision, now))
    session.add(row)
    session.flush()
    return row


def save_decisions(session: Session, values: Sequence[dict[str, Any]]) -> None:
    """Store transfers' routing decisions (`decision_values` each) by one prepared insert: never
    read back in their unit of work."""
    _INSERT_DECISION.run(session, values)


def decision_values(
    tenant_id: str,
    transfer_id: str,
    decision: dict[str, Any],
    now: datetime,
    *,
    encoded: str | None = None,
) -> dict[str, Any]:
    """The stored row of a transfer's routing decision: its EndToEndId and UETR too.

    `encoded`: `encoded_decision(decision)` made already (a run's items share decisions)."""
    chosen = decision.get("chosen") or {}
    send_at = chosen.get("send_at")
    return {
        "id": new_id(),
        "tenant_id": tenant_id,
        "transfer_id": transfer_id,
        "status": decision["status"],
        "rail_id": chosen.get("rail_id"),
        "ruleset_version": decision["ruleset_version"],
        "decision_json": encoded_decision(decision) if encoded is None else encoded,
        "end_to_end_id": transfer_id.replace("-", "")[:35],
        "uetr": new_id(),
        "send_date": None if send_at is None else datetime.fromisoformat(send_at).date(),
        "created_at": now,
    }


def encoded_decision(decision: dict[str, Any]) -> str:
    """A routing decision's document as stored."""
    return json.dumps(decision, sort_keys=True, ensure_ascii=False)


class RoutedPayment(NamedTuple):
    """A transfer's payment as routed, for its payment file: the decision's status, the rail
    (its id, and the chosen route's rail as the file names it), EndToEndId, UETR, send date."""

    transfer_id: str
    status: str
    rail_id: str | None
    rail: str | None
    end_to_end_id: str
    uetr: str
    send_date: date | None


_ROUTED_PAYMENT = (
    RouteDecisionRow.transfer_id,
    RouteDecisionRow.status,
    RouteDecisionRow.rail_id,
    RouteDecisionRow.decision_json,
    RouteDecisionRow.end_to_end_id,
    RouteDecisionRow.uetr,
    RouteDecisionRow.send_date,
)


def _routed(row: Sequence[Any]) -> RoutedPayment:
    chosen = json.loads(row[3]).get("chosen") or {}
    return RoutedPayment(row[0], row[1], row[2], chosen.get("rail"), row[4], row[5], row[6])


def routed_payment(session: Session, tenant_id: str, transfer_id: str) -> RoutedPayment | None:
    """A transfer's payment as routed, if it was."""
    query = select(*_ROUTED_PAYMENT).where(
        RouteDecisionRow.tenant_id == tenant_id, RouteDecisionRow.transfer_id == transfer_id
    )
    found = session.execute(query).first()
    return None if found is None else _routed(found)


def routed_payments_sent_on(session: Session, tenant_id: str, on: date) -> dict[str, RoutedPayment]:
    """The tenant's payments routed to be sent on a day, by transfer id."""
    query = select(*_ROUTED_PAYMENT).where(
        RouteDecisionRow.tenant_id == tenant_id, RouteDecisionRow.send_date == on
    )
    return {row[0]: _routed(row) for row in session.execute(query)}


class SentPayment(NamedTuple):
    """What a bank's report or statement names a transfer's payment by, from its stored
    routing decision: EndToEndId, UETR, the rail (None or BOOK: no file went to a bank) and the
    day it was sent."""

    transfer_id: str
    end_to_end_id: str
    uetr: str
    rail_id: str | None
    send_date: date | None


_SENT_PAYMENT = (
    RouteDecisionRow.transfer_id,
    RouteDecisionRow.end_to_end_id,
    RouteDecisionRow.uetr,
    RouteDecisionRow.rail_id,
    RouteDecisionRow.send_date,
)


def decisions_by_end_to_end(
    session: Session, tenant_id: str, end_to_end_ids: Sequence[str]
) -> dict[str, SentPayment]:
    """The payments carrying these EndToEndIds, by EndToEndId (one read a 1,000)."""
    found: dict[str, SentPayment] = {}
    wanted = sorted(set(end_to_end_ids))
    for start in range(0, len(wanted), 1000):
        query = select(*_SENT_PAYMENT).where(
            RouteDecisionRow.tenant_id == tenant_id,
            RouteDecisionRow.end_to_end_id.in_(wanted[start : start + 1000]),
        )
        found.update({row[1]: SentPayment(*row) for row in session.execute(query)})
    return found


def sent_payments(
    session: Session, tenant_id: str, transfer_ids: Sequence[str]
) -> dict[str, SentPayment]:
    """The payments of these transfers that have a routing decision, by transfer id (one read a
    1,000)."""
    found: dict[str, SentPayment] = {}
    wanted = sorted(set(transfer_ids))
    for start in range(0, len(wanted), 1000):
        query = select(*_SENT_PAYMENT).where(
            RouteDecisionRow.tenant_id == tenant_id,
            RouteDecisionRow.transfer_id.in_(wanted[start : start + 1000]),
        )
        found.update({row[0]: SentPayment(*row) for row in session.execute(query)})
    return found


def payment_files_with(session: Session, tenant_id: str, transfer_id: str) -> list[str]:
    """The message ids of the payment files made so far that carry a transfer, oldest first."""
    query = (
        select(PaymentMessageRow.message_id, PaymentMessageRow.transfer_ids_json)
        .where(
            PaymentMessageRow.tenant_id == tenant_id,
            PaymentMessageRow.transfer_ids_json.contains(transfer_id),
        )
        .order_by(PaymentMessageRow.created_at, PaymentMessageRow.message_id)
    )
    return [
        message_id for message_id, ids in session.execute(query) if transfer_id in json.loads(ids)
    ]


def transfer_matched(session: Session, transfer_id: str) -> bool:
    """Has a statement line confirmed this transfer already?"""
    query = select(StatementMatchRow.id).where(StatementMatchRow.transfer_id == transfer_id)
    return session.scalar(query) is not None


def matched_transfers(session: Session, transfer_ids: Sequence[str]) -> set[str]:
    """Which of these transfers a statement line has confirmed already (one read a 1,000)."""
    found: set[str] = set()
    wanted = sorted(set(transfer_ids))
    for start in range(0, len(wanted), 1000):
        query = select(StatementMatchRow.transfer_id).where(
            StatementMatchRow.transfer_id.in_(wanted[start : start + 1000])
        )
        found.update(session.scalars(query))
    return found


def bank_report_result(session: Session, tenant_id: str, kind: str, message_id: str) -> str | None:
    """What applying a bank report (kind pain.002 or camt.053) produced, as stored: None when
    this message id was never applied."""
    query = select(BankReportRow.result_json).where(
        BankReportRow.tenant_id == tenant_id,
        BankReportRow.kind == kind,
        BankReportRow.message_id == message_id,
    )
    return session.scalar(query)


def add_bank_report(
    session: Session,
    *,
    tenant_id: str,
    kind: str,
    message_id: str,
    sha256: str,
    result_json: str,
    received_at: datetime,
) -> None:
    """Record a bank report as applied (its message id once per tenant and kind)."""
    session.add(
        BankReportRow(
            id=new_id(),
            tenant_id=tenant_id,
            kind=kind,
            message_id=message_id,
            sha256=sha256,
            result_json=result_json,
            received_at=received_at,
        )
    )


def payment_file_transfer_ids(
    session: Session, tenant_id: str, message_id: str
) -> list[str] | None:
    """The transfers a payment file made carries, in its order; None for no such file."""
    query = select(PaymentMessageRow.transfer_ids_json).where(
        PaymentMessageRow.tenant_id == tenant_id, PaymentMessageRow.message_id == message_id
    )
    found = session.scalar(query)
    return None if found is None else list(json.loads(found))


def add_statement_match(
    session: Session,
    *,
    tenant_id: str,
    statement_line_id: str,
    transfer_id: str,
    matched_at: datetime,
) -> None:
    """Record that a statement line confirms a transfer."""
    add_statement_matches(session, tenant_id, [(statement_line_id, transfer_id)], matched_at)


def add_statement_matches(
    session: Session, tenant_id: str, matches: Sequence[tuple[str, str]], matched_at: datetime
) -> None:
    """Record that statement lines confirm transfers, `(statement line id, transfer id)` each,
    by one Core insert on the session's connection (the lines are written already)."""
    if matches:
        session.connection().execute(
            _INSERT_MATCH,
            [
                {
                    "id": new_id(),
                    "tenant_id": tenant_id,
                    "statement_line_id": line_id,
                    "transfer_id": transfer_id,
                    "matched_at": matched_at,
                }
                for line_id, transfer_id in matches
            ],
        )


_INSERT_MATCH = insert(cast(Table, StatementMatchRow.__table__))  # built once


class StoredPaymentFile(NamedTuple):
    """A pain.001 made before: its message id, XML and the transfers it carries, in order."""

    message_id: str
    xml: str
    transfer_ids: tuple[str, ...]


def payment_file(session: Session, tenant_id: str, message_id: str) -> StoredPaymentFile | None:
    """The tenant's payment file with this message id, if made."""
    query = select(PaymentMessageRow).where(
        PaymentMessageRow.tenant_id == tenant_id, PaymentMessageRow.message_id == message_id
    )
    row = session.scalar(query)
    if row is None:
        return None
    return StoredPaymentFile(row.message_id, row.xml, tuple(json.loads(row.transfer_ids_json)))


def add_payment_file(
    session: Session,
    *,
    tenant_id: str,
    message_id: str,
    kind: str,
    debtor_account_id: str,
    execution_date: date,
    transfer_ids: Sequence[str],
    xml: str,
    created_at: datetime,
) -> None:
    """Store a payment file made (its message id once per tenant), flushed."""
    session.add(
        PaymentMessageRow(
            id=new_id(),
            tenant_id=tenant_id,
            message_id=message_id,
            kind=kind,
            debtor_account_id=debtor_account_id,
            execution_date=execution_date,
            transfer_ids_json=json.dumps(list(transfer_ids)),
            xml=xml,
            created_at=created_at,
        )
    )
    session.flush()
