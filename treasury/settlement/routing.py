"""The router: candidate rails, their timing and cost, a ranked choice and its explanation.

Pure and deterministic: the same request, reference data (its fingerprint is the decision's
`ruleset_version`) and calendars give the same decision, tie-breaks included (the rail id is
always the last key). Compliance holds are decided before routing, by the compliance rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from treasury.calendars import BusinessCalendars, currency_calendar
from treasury.errors import CalendarNotLoaded
from treasury.money import Money, round_money
from treasury.settlement import eligibility, timing
from treasury.settlement.model import (
    DEBTOR_BANK_LOCAL,
    Candidate,
    DecisionStatus,
    Rail,
    RailType,
    Route,
    RouteDecision,
    RouteRequest,
    RoutingSettings,
    ValueRule,
)
from treasury.settlement.reference import RoutingReference, bic_country

CALENDAR_NOT_LOADED = "CALENDAR_NOT_LOADED"
NO_ROUTE = "NO_ROUTE"
HOUSE_RAIL_PREFERRED = "HOUSE_RAIL_PREFERRED"


def decide(
    request: RouteRequest, reference: RoutingReference, calendars: BusinessCalendars
) -> RouteDecision:
    """Every rail's candidate, the best by the ranking keys, and why."""
    rails = sorted(reference.rails, key=lambda r: r.id)
    exclusions = {rail.id: eligibility.static_exclusion(rail, request, reference) for rail in rails}
    house_types = {rail.type for rail in rails if not rail.generic and exclusions[rail.id] is None}
    candidates = tuple(
        _candidate(rail, exclusions[rail.id], house_types, request, reference, calendars)
        for rail in rails
    )
    eligible = sorted(
        (c for c in candidates if c.eligible), key=_rank_key(reference.settings.ranking_keys)
    )
    market = request.market
    if not eligible:
        missing = any(c.excluded_reason == CALENDAR_NOT_LOADED for c in candidates)
        return RouteDecision(
            status=DecisionStatus.REJECT,
            reasons=(CALENDAR_NOT_LOADED if missing else NO_ROUTE,),
            chosen=None,
            candidates=candidates,
            ruleset_version=reference.version,
            market=market,
        )
    best = eligible[0]
    warnings = _warnings(best, calendars)
    chosen = _route(best, eligible[1:], reference.settings.ranking_keys, warnings, request)
    return RouteDecision(
        status=DecisionStatus.ROUTED,
        reasons=(),
        chosen=chosen,
        candidates=candidates,
        ruleset_version=reference.version,
        warnings=tuple(warnings),
        market=market,
    )


# -- eligibility --------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _excluded(rail: Rail, reason: str, detail: str) -> Candidate:
    """An excluded candidate (immutable, so the same exclusion is built once)."""
    return Candidate(rail.id, rail.type, rail.policy_rank, excluded_reason=reason, detail=detail)


def _candidate(
    rail: Rail,
    reason: tuple[str, str] | None,
    house_types: set[RailType],
    request: RouteRequest,
    reference: RoutingReference,
    calendars: BusinessCalendars,
) -> Candidate:
    if reason is not None:
        return _excluded(rail, *reason)
    if rail.generic and rail.type in house_types:
        # The sending bank's own tariff and cut-offs are loaded: they, not the defaults, apply.
        return _excluded(
            rail, HOUSE_RAIL_PREFERRED, f"{request.debtor_bank_bic}'s own {rail.type} rail applies"
        )
    local = _for_sending_bank(rail, request.debtor_bank_bic, reference.settings)
    if local is None:
        country = bic_country(request.debtor_bank_bic or "XXXXZZ")
        return _excluded(rail, "NO_CALENDAR_FOR_COUNTRY", f"no calendar or zone set for {country}")
    try:
        return _timed(local, request, reference, calendars)
    except CalendarNotLoaded as error:
        return _excluded(rail, CALENDAR_NOT_LOADED, error.detail)


def _for_sending_bank(
    rail: Rail, debtor_bank: str | None, settings: RoutingSettings
) -> Rail | None:
    """The rail with `@debtor` read as the sending bank's country (None: that country is unset)."""
    if not rail.follows_debtor_bank:
        return rail
    country = bic_country(debtor_bank or "XXXXZZ")
    calendar = settings.country_calendars.get(country)
    tz = settings.country_timezones.get(country)
    if calendar is None or tz is None:
        return None
    return _localised(rail, calendar, tz)


@lru_cache(maxsize=1024)
def _localised(rail: Rail, calendar: str, tz: str) -> Rail:
    session = rail.session
    local = (calendar if code == DEBTOR_BANK_LOCAL else code for code in session.calendars)
    codes = tuple(dict.fromkeys(local))
    return replace(
        rail,
        session=replace(
            session, calendars=codes, tz=tz if session.tz == DEBTOR_BANK_LOCAL else session.tz
        ),
        bank_tz=tz if rail.bank_tz == DEBTOR_BANK_LOCAL else rail.bank_tz,
    )


# -- timing and cost ----------------------------------------------------------------------------


def _timed(
    rail: Rail, request: RouteRequest, reference: RoutingReference, calendars: BusinessCalendars
) -> Candidate:
    if rail.type is RailType.BOOK:
        return _booked(rail, request)
    settings = reference.settings
    earliest = request.submitted_at + timedelta(minutes=settings.internal_processing_min)
    if request.requested_value_date is not None:
        earliest = max(earliest, timing.at(request.requested_value_date, time(0), rail.bank_tz))
    notes: list[str] = []
    for _ in range(settings.max_search_days):
        send = timing.first_send(rail, calendars, settings, earliest)
        if send is None:
            return _excluded(rail, "NO_OPEN_SESSION", "no open window within the search horizon")
        notes.extend(send.notes)
        settle_at, credit_at = timing.settle_and_credit(rail, settings, send.send_at)
        value_date, codes, value_notes = _value_date(
            rail, request, reference, calendars, send, credit_at
        )
        ahead = (value_date - send.business_date).days
        if rail.value_rule is ValueRule.CURRENCY and ahead > settings.max_forward_calendar_days:
            notes.append(
                f"value {value_date} is {ahead} calendar days after instruction "
                f"{send.business_date}, beyond fx.max_forward_calendar_days="
                f"{settings.max_forward_calendar_days}: queued to the bank's next working day"
            )
            earliest = timing.at(send.business_date + timedelta(days=1), time(0), rail.bank_tz)
            continue
        fee, cost = _cost(rail, request, reference)
        if rail.generic:
            notes.append(
                f"fees are the generic {rail.type} defaults [X], not "
                f"{request.debtor_bank_bic}'s own tariff (load it as a house-bank rail)"
            )
        return Candidate(
            rail.id,
            rail.type,
            rail.policy_rank,
            send_at=send.send_at,
            settle_at=settle_at,
            credit_at=credit_at,
            value_date=value_date,
            fee_estimate=fee,
            cost_cny=cost,
            calendars=tuple(dict.fromkeys((*rail.session.calendars, *codes))),
            notes=(*notes, *value_notes),
        )
    return _excluded(rail, "NO_OPEN_SESSION", "no value date within the forward limit")


def _booked(rail: Rail, request: RouteRequest) -> Candidate:
    """A book transfer on the group's books: valued as requested, never before today."""
    today = request.submitted_at.astimezone(timing.zone(rail.bank_tz)).date()
    requested = request.requested_value_date or today
    return Candidate(
        rail.id,
        rail.type,
        rail.policy_rank,
        send_at=request.submitted_at,
        settle_at=request.submitted_at,
        credit_at=request.submitted_at,
        value_date=max(requested, today),
        fee_estimate=None,
        cost_cny=Decimal(0),
        notes=("both accounts are the group's, at one bank and of the same residency",),
    )


def _value_date(
    rail: Rail,
    request: RouteRequest,
    reference: RoutingReference,
    calendars: BusinessCalendars,
    send: timing.Send,
    credit_at: datetime,
) -> tuple[date, tuple[str, ...], list[str]]:
    currency = request.amount.currency.code
    settings = reference.settings
    country = _beneficiary_country(request, reference)
    if rail.value_rule is ValueRule.CURRENCY:
        # The currency's settlement day, on which the beneficiary's bank is open too: an inbound
        # payment is credited onshore on a China business day (settlement.md E8).
        joint = (currency_calendar(currency), *_country_calendar(settings, country))
        settling = tuple(dict.fromkeys(joint))
        rolled, rolls = timing.currency_value_date(calendars, settling, send.business_date)
        return rolled, settling, rolls
    notes: list[str] = []
    codes = rail.credit_calendars
    if codes is None:
        found = settings.country_calendars.get(country)
        if found is None:
            found = currency_calendar(currency)
            notes.append(f"no calendar configured for {country}: {found} used for the credit")
        codes = (found,)
    tz = settings.country_timezones.get(country, rail.session.tz)
    day, more = timing.credit_value_date(
        calendars,
        codes,
        credit_at,
        tz=tz,
        cutoff=settings.credit_cutoff_local,
        weekend=rail.weekend_window,
    )
    if request.requested_value_date is not None and day < request.requested_value_date:
        day = calendars.next_business_day(codes, request.requested_value_date)
    return day, codes, [*notes, *more]


def _beneficiary_country(request: RouteRequest, reference: RoutingReference) -> str:
    beneficiary = reference.participant(request.creditor_bank_bic)
    if beneficiary is not None:
        return beneficiary.country
    if request.creditor_bank_bic:
        return bic_country(request.creditor_bank_bic)
    return request.creditor_country


def _country_calendar(settings: RoutingSettings, country: str) -> tuple[str, ...]:
    found = settings.country_calendars.get(country)
    return () if found is None else (found,)


def _cost(
    rail: Rail, request: RouteRequest, reference: RoutingReference
) -> tuple[Money | None, Decimal | None]:
    fee = rail.fee
    base = _in_currency(
        request.amount.amount, request.amount.currency.code, fee.currency, reference
    )
    if base is None:
        return None, None
    variable = base * fee.bps / Decimal(10000)
    variable = max(variable, fee.minimum)
    if fee.maximum is not None:
        variable = min(variable, fee.maximum)
    total = variable + fee.fixed + fee.cable + fee.deduction
    if request.charge_bearer == "DEBT":
        total += fee.intermediary
    money = round_money(total, fee.currency, rounding=ROUND_HALF_UP)
    cost = _in_currency(money.amount, fee.currency, "CNY", reference)
    return money, None if cost is None else round_money(cost, "CNY", rounding=ROUND_HALF_UP).amount


def _in_currency(
    amount: Decimal, currency: str, target: str, reference: RoutingReference
) -> Decimal | None:
    if currency == target:
        return amount
    rates = reference.cny_rates
    to_cny = Decimal(1) if currency == "CNY" else rates.get(currency)
    from_cny = Decimal(1) if target == "CNY" else rates.get(target)
    if to_cny is None or from_cny is None:
        return None
    return amount * to_cny / from_cny


# -- ranking and explanation --------------------------------------------------------------------

_LAST = Decimal("Infinity")


def _key_value(candidate: Candidate, key: str) -> Any:
    if key == "cost_cny":
        return _LAST if candidate.cost_cny is None else candidate.cost_cny
    if key == "rail_id":
        return candidate.rail_id
    return getattr(candidate, key)


def _rank_key(keys: tuple[str, ...]) -> Callable[[Candidate], tuple[Any, ...]]:
    ordered = (*keys, "rail_id") if "rail_id" not in keys else keys
    return lambda candidate: tuple(_key_value(candidate, key) for key in ordered)


def _why(best: Candidate, other: Candidate, keys: tuple[str, ...]) -> str:
    for key in (*keys, "rail_id"):
        mine, theirs = _key_value(best, key), _key_value(other, key)
        if mine != theirs:
            return f"beat {other.rail_id} on {key} ({_show(mine)} vs {_show(theirs)})"
    return f"tied with {other.rail_id}"


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "unknown" if value == _LAST else str(value)


def _warnings(best: Candidate, calendars: BusinessCalendars) -> list[str]:
    days = [d for d in (best.value_date, best.send_at.date() if best.send_at else None) if d]
    return calendars.warnings(best.calendars, days)


def _route(
    best: Candidate,
    others: list[Candidate],
    keys: tuple[str, ...],
    warnings: list[str],
    request: RouteRequest,
) -> Route:
    assert best.send_at is not None
    assert best.value_date is not None
    parts = [
        f"{best.rail_id} ({best.rail.value}) sends {best.send_at.isoformat()}, "
        f"value {best.value_date.isoformat()}"
        + ("" if best.fee_estimate is None else f", fee estimate {best.fee_estimate}"),
        *(_why(best, other, keys) for other in others),
        f"calendars: {', '.join(best.calendars)}",
        *best.notes,
        *(f"WARNING: {warning}" for warning in warnings),
    ]
    if request.market == "CNH":
        parts.append("market CNH (offshore RMB): carried as CNY on the wire")
    return Route(
        rail=best.rail,
        rail_id=best.rail_id,
        send_at=best.send_at,
        value_date=best.value_date,
        fee_estimate=best.fee_estimate,
        explanation="; ".join(parts),
    )
