"""The routing reference in process: parsed rails and participants, and built calendars.

Routing runs on every outbound transfer and every quote; parsing the documents and building the
business-day tables each time would cost more than the decision. The parsed set is kept per
database and per day, re-read when the stored tables change (a cheap count/max query, at most
every `REFRESH_SECONDS`) and dropped at once when this process loads reference data. The
calendars are rebuilt only when the overrides themselves change.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from treasury.calendars import BusinessCalendars, CalendarOverride
from treasury.db.engine import database_key
from treasury.refdata import cache as refdata_cache
from treasury.settlement import repository
from treasury.settlement.model import Participant, Rail
from treasury.settlement.reference import (
    ROUTING_PARAMETERS,
    RoutingReference,
    fingerprint,
    participant_from_document,
    rail_from_document,
    routing_settings,
)

REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[Any, ...]
    checked_at: float
    participants: dict[str, Participant]
    rails: tuple[Rail, ...]
    documents_version: str
    calendars: BusinessCalendars
    overrides_version: str


_lock = threading.Lock()
_loaded: dict[tuple[str, date], _Loaded] = {}
_calendars: dict[str, BusinessCalendars] = {}


def _key(session: Session) -> str:
    return database_key(session.get_bind().engine)


def invalidate(session: Session) -> None:
    """Forget this database's parsed reference (after a load commits)."""
    url = _key(session)
    with _lock:
        for key in [key for key in _loaded if key[0] == url]:
            del _loaded[key]
    refdata_cache.invalidate(session)


def _load(session: Session, on: date) -> _Loaded:
    key = (_key(session), on)
    with _lock:
        found = _loaded.get(key)
    now = time.monotonic()
    if found is not None and now - found.checked_at < REFRESH_SECONDS:
        return found
    stamp = repository.reference_stamp(session)
    if found is not None and found.stamp == stamp:
        fresh = _Loaded(**{**found.__dict__, "checked_at": now})
    else:
        fresh = _parse(session, on, stamp, now)
    with _lock:
        if len(_loaded) > 64:
            _loaded.clear()
        _loaded[key] = fresh
    return fresh


def _parse(session: Session, on: date, stamp: tuple[Any, ...], now: float) -> _Loaded:
    participants = repository.participant_documents(session, on)
    rails = repository.rail_documents(session, on)
    overrides = repository.calendar_overrides(session, on)
    overrides_version = fingerprint([_override_document(o) for o in overrides])
    return _Loaded(
        stamp=stamp,
        checked_at=now,
        participants={bic: participant_from_document(doc) for bic, doc in participants.items()},
        rails=tuple(rail_from_document(doc) for _, doc in sorted(rails.items())),
        documents_version=fingerprint(participants, rails),
        calendars=_calendars_for(overrides, overrides_version),
        overrides_version=overrides_version,
    )


def _override_document(override: CalendarOverride) -> dict[str, Any]:
    return {
        "calendar": override.calendar,
        "year": override.year,
        "holidays": sorted(d.isoformat() for d in override.holidays),
        "working_days": sorted(d.isoformat() for d in override.working_days),
        "status": override.status,
    }


def _calendars_for(overrides: list[CalendarOverride], version: str) -> BusinessCalendars:
    with _lock:
        found = _calendars.get(version)
    if found is None:
        found = BusinessCalendars(overrides)
        with _lock:
            _calendars[version] = found
    return found


def calendars(session: Session, on: date) -> BusinessCalendars:
    """The business-day calendars with the overrides in force on `on`."""
    return _load(session, on).calendars


_references: dict[tuple[Any, ...], tuple[_Loaded, Any, RoutingReference]] = {}


def reference(session: Session, on: date, currencies: set[str]) -> RoutingReference:
    """Everything one routing decision on `on` reads, with its fingerprint as version.

    Built once per loaded reference, parameter snapshot, day and currencies, then reused.
    """
    loaded = _load(session, on)
    snapshot = refdata_cache.snapshot(session)
    key = (id(loaded), id(snapshot), on, frozenset(currencies))
    with _lock:
        found = _references.get(key)
    # The objects themselves are kept with the entry, so a reused id never returns a stale one.
    if found is not None and found[0] is loaded and found[1] is snapshot:
        return found[2]
    built = _reference(loaded, snapshot, on, currencies)
    with _lock:
        if len(_references) > 256:
            _references.clear()
        _references[key] = (loaded, snapshot, built)
    return built


def _reference(
    loaded: _Loaded, snapshot: refdata_cache.Snapshot, on: date, currencies: set[str]
) -> RoutingReference:
    parameters = snapshot.parameters_in_force(on)
    routing_parameters = {
        name: parameters[name].value for name in ROUTING_PARAMETERS if name in parameters
    }
    rates: dict[str, Decimal] = {}
    wanted = currencies | {rail.fee.currency for rail in loaded.rails}
    for currency in sorted(wanted - {"CNY"}):
        rate = snapshot.rate_on(f"{currency}CNY", on)
        if rate is not None:
            rates[currency] = rate.rate
    return RoutingReference(
        participants=loaded.participants,
        rails=loaded.rails,
        settings=routing_settings(parameters),
        cny_rates=rates,
        version=fingerprint(
            loaded.documents_version,
            loaded.overrides_version,
            routing_parameters,
            {currency: str(rate) for currency, rate in rates.items()},
        ),
    )
