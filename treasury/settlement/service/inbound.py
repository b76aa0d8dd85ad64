"""Inbound payments: when a payment valued on our nostro is credited to the onshore account."""

from __future__ import annotations

from datetime import date
from typing import Any

from treasury.clock import today
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import CalendarNotLoaded
from treasury.settlement import cache, timing


def credit_date(uow: UnitOfWork, *, nostro_value_date: date, timezone: str) -> dict[str, Any]:
    """The first CN_IB business day on or after the nostro value date, with the holiday gap."""
    with uow:
        calendars = cache.calendars(uow.session, today(uow.clock, timezone))
        try:
            credited, notes = timing.inbound_credit_date(calendars, nostro_value_date)
        except CalendarNotLoaded as error:
            return {
                "status": "reject",
                "reasons": [CalendarNotLoaded.code],
                "credit_date": None,
                "explanation": error.detail,
                "warnings": [],
            }
        warnings = calendars.warnings(["CN_IB"], [nostro_value_date, credited])
        gap = "; ".join(notes) if notes else "no holiday gap"
        return {
            "status": "routed",
            "reasons": [],
            "credit_date": credited,
            "explanation": f"nostro value {nostro_value_date.isoformat()}, credited onshore "
            f"{credited.isoformat()} (first CN_IB business day on or after it); {gap}",
            "warnings": warnings,
        }
