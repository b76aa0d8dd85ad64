"""Reference-data use cases of routing: the operator loads participants, rails and calendar years.

Each load is a new version (effective from a date, with a source note), checked by the same
parsers routing uses, audited, and seen by routing as soon as it commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from treasury.audit import service as audit
from treasury.calendars import CalendarOverride, overrides_from_document
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import ValidationFailed
from treasury.settlement import cache, repository
from treasury.settlement.model import Participant
from treasury.settlement.reference import check_dp, participant_from_document, rail_from_document
from treasury.settlement.tables import CalendarOverrideRow, ParticipantRow, RailRow


@dataclass(frozen=True)
class Version:
    """A stored version of a reference document."""

    key: str
    version: int
    effective_from: date
    source: str
    document: dict[str, Any]


def _audit(uow: UnitOfWork, actor: str, kind: str, key: str, version: int, source: str) -> None:
    uow.after_commit(cache.invalidate)
    audit.record(
        uow,
        tenant_id=None,
        actor=actor,
        action=f"{kind}.loaded",
        object_type=kind,
        object_id=key,
        after={"version": version, "source": source},
    )


def add_participant(
    uow: UnitOfWork, document: dict[str, Any], *, effective_from: date, source: str, actor: str
) -> Version:
    """A new version of a participant (checked as routing reads it, its DP known then).

    Raises:
        ValidationFailed: a malformed participant.
        CipsDpUnknown: an indirect participant whose DP is no direct participant on that date.
    """
    participant = participant_from_document(document)
    with uow:
        check_dp(participant, _directory(uow, effective_from))
        row = repository.add_participant(
            uow.session, document, effective_from=effective_from, source=source, now=uow.clock.now()
        )
        _audit(uow, actor, "participant", row.bic, row.version, source)
        uow.commit()
        return _version(row, row.bic)


def _directory(uow: UnitOfWork, on: date) -> dict[str, Participant]:
    documents = repository.participant_documents(uow.session, on)
    return {bic: participant_from_document(document) for bic, document in documents.items()}


def add_rail(
    uow: UnitOfWork, document: dict[str, Any], *, effective_from: date, source: str, actor: str
) -> Version:
    """A new version of a rail (checked as routing reads it)."""
    rail_from_document(document)
    with uow:
        row = repository.add_rail(
            uow.session, document, effective_from=effective_from, source=source, now=uow.clock.now()
        )
        _audit(uow, actor, "rail", row.rail_id, row.version, source)
        uow.commit()
        return _version(row, row.rail_id)


def add_calendar_override(
    uow: UnitOfWork, override: CalendarOverride, *, effective_from: date, actor: str
) -> Version:
    """A new version of one calendar year's holidays and working days."""
    with uow:
        row = repository.add_calendar_override(
            uow.session, override, effective_from=effective_from, now=uow.clock.now()
        )
        key = f"{row.calendar}/{row.year}"
        _audit(uow, actor, "calendar_override", key, row.version, override.source)
        uow.commit()
        return _calendar_version(row)


def participants(uow: UnitOfWork) -> list[Version]:
    """Every stored participant version."""
    with uow:
        rows = repository.versions(uow.session, ParticipantRow, ParticipantRow.bic)
        return [_version(row, row.bic) for row in rows]


def rails(uow: UnitOfWork) -> list[Version]:
    """Every stored rail version."""
    with uow:
        rows = repository.versions(uow.session, RailRow, RailRow.rail_id)
        return [_version(row, row.rail_id) for row in rows]


def calendar_overrides(uow: UnitOfWork) -> list[Version]:
    """Every stored calendar-year version."""
    with uow:
        rows = repository.versions(uow.session, CalendarOverrideRow, CalendarOverrideRow.calendar)
        return [_calendar_version(row) for row in rows]


def _version(row: ParticipantRow | RailRow, key: str) -> Version:
    return Version(key, row.version, row.effective_from, row.source, json.loads(row.document_json))


def _calendar_version(row: CalendarOverrideRow) -> Version:
    return Version(
        f"{row.calendar}/{row.year}",
        row.version,
        row.effective_from,
        row.source,
        {
            "calendar": row.calendar,
            "year": row.year,
            "holidays": json.loads(row.holidays_json),
            "working_days": json.loads(row.working_days_json),
            "status": row.status,
        },
    )


def load_file(uow: UnitOfWork, path: Path, *, actor: str = "cli") -> dict[str, int]:
    """Load a JSON file of `participants`, `rails` and `calendars` (calendar_overrides.json shape),
    all or nothing, each item checked as routing reads it.

    `effective_from` and `source_document` at the top level apply to every item.
    """
    document = json.loads(path.read_text(encoding="utf-8"))
    try:
        effective_from = date.fromisoformat(str(document["effective_from"]))
    except (KeyError, ValueError) as error:
        raise ValidationFailed(f"{path.name}: effective_from (YYYY-MM-DD) is required") from error
    source = str(document.get("source_document") or path.name)[:500]
    participants_in = list(document.get("participants", []))
    rails_in = list(document.get("rails", []))
    arriving = [participant_from_document(item) for item in participants_in]
    for item in rails_in:
        rail_from_document(item)
    overrides = overrides_from_document(document)
    with uow:
        directory = {**_directory(uow, effective_from), **{p.bic: p for p in arriving}}
        for participant in arriving:
            check_dp(participant, directory)
        now = uow.clock.now()
        for item in participants_in:
            row = repository.add_participant(
                uow.session, item, effective_from=effective_from, source=source, now=now
            )
            _audit(uow, actor, "participant", row.bic, row.version, source)
        for item in rails_in:
            note = str(item.get("source_note") or source)[:500]
            rail = repository.add_rail(
                uow.session, item, effective_from=effective_from, source=note, now=now
            )
            _audit(uow, actor, "rail", rail.rail_id, rail.version, note)
        for override in overrides:
            year = repository.add_calendar_override(
                uow.session, override, effective_from=effective_from, now=now
            )
            key = f"{year.calendar}/{year.year}"
            _audit(uow, actor, "calendar_override", key, year.version, override.source)
        uow.commit()
    return {
        "participants": len(participants_in),
        "rails": len(rails_in),
        "calendar_overrides": len(overrides),
    }


def has_routing_data(path: Path) -> bool:
    """True for a JSON file that carries participants, rails or calendars."""
    if path.suffix.lower() != ".json":
        return False
    document = json.loads(path.read_text(encoding="utf-8"))
    return isinstance(document, dict) and any(
        key in document for key in ("participants", "rails", "calendars")
    )
