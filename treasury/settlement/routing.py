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
from treasury.settlement import timing
from treasury.settlement.model import (
    Candidate,
    CipsStatus,
    DecisionStatus,
    Rail,
    RailType,
    Route,
    RouteDecision,
    RouteRequest,
    Scope,
    ValueRule,
)
from treasury.settlement.reference import RoutingReference, bic_country

CALENDAR_NOT_LOADED = "CALENDAR_NOT_LOADED"
NO_ROUTE = "NO_ROUTE"


def decide(
    request: RouteRequest, reference: RoutingReference, calendars: BusinessCalendars
) -> RouteDecision:
    """Every rail's candidate, the best by the ranking keys, and why."""
    candidates = tuple(
        _candidate(rail, request, reference, calendars)
        for rail in sorted(reference.rails, key=lambda r: r.id)
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
    rail: Rail, request: RouteRequest, reference: RoutingReference, calendars: BusinessCalendars
) -> Candidate:
    reason = _static_exclusion(rail, request, reference)
    if reason is not None:
        return _excluded(rail, *reason)
    try:
        return _timed(rail, request, reference, calendars)
    except CalendarNotLoaded as error:
        return _excluded(rail, CALENDAR_NOT_LOADED, error.detail)


def _static_exclusion(
    rail: Rail, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    """The first reason the rail cannot carry the payment at all (None: it can be timed)."""
    currency = request.amount.currency.code
    if not rail.enabled:
        return "RAIL_DISABLED", "the operator disabled this rail"
    if currency not in rail.currencies:
        return "CURRENCY_NOT_SUPPORTED", f"{currency} not in {sorted(rail.currencies)}"
    found = _validity(rail, request.submitted_at.date())
    found = found or _scope(rail, request, reference) or _house_bank(rail, request)
    found = found or _corridor(rail, request) or _amount(rail, request, reference)
    for requirement in rail.requires:
        found = found or _requirement(requirement, request, reference)
    return found


def _validity(rail: Rail, on: date) -> tuple[str, str] | None:
    if rail.valid_from is not None and on < rail.valid_from:
        return "RAIL_NOT_YET_VALID", f"valid from {rail.valid_from}"
    if rail.valid_to is not None and on > rail.valid_to:
        return "RAIL_EXPIRED", f"valid to {rail.valid_to}"
    return None


def _scope(
    rail: Rail, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    same_bank = (
        request.debtor_bank_bic is not None and request.debtor_bank_bic == request.creditor_bank_bic
    )
    if rail.scope is Scope.INTERNAL:
        if not request.internal:
            return "NOT_INTERNAL", "BOOK is only between the group's own accounts"
        if not same_bank:
            return "DIFFERENT_BANKS", "BOOK needs both accounts at one bank"
        if request.crosses_border:
            return "RESIDENCY_DIFFERS", "NRA ↔ resident funds are cross-border: HVPS, not BOOK"
        return None
    if rail.scope is Scope.CROSS_BORDER:
        if bic_country(request.creditor_bank_bic or "XXXXCN") == "CN":
            return "BENEF_BANK_ONSHORE", "the beneficiary bank is onshore: a CNAPS rail carries it"
        return None
    if bic_country(request.creditor_bank_bic or "XXXXZZ") != "CN":
        return "NOT_DOMESTIC", "the beneficiary bank is not onshore"
    if rail.type is RailType.BEPS:
        return _beps(request, reference)
    return None


def _beps(request: RouteRequest, reference: RoutingReference) -> tuple[str, str] | None:
    limit = reference.settings.beps_limit
    if request.amount.amount > limit:
        return "HVPS_REQUIRED", f"above the BEPS limit of CNY {limit:,}"
    if request.crosses_border:
        return "HVPS_REQUIRED", "NRA ↔ resident is cross-border and must go over HVPS"
    if request.urgent:
        return "HVPS_REQUIRED", "urgent payments go over HVPS"
    return None


def _house_bank(rail: Rail, request: RouteRequest) -> tuple[str, str] | None:
    debtor = request.debtor_bank_bic
    if rail.scope is Scope.INTERNAL:
        return None
    if rail.house_bank_bic is None:
        if debtor is None or bic_country(debtor) != "CN":
            return "DEBTOR_BANK_NOT_ONSHORE", "CNAPS rails start from an onshore bank"
        return None
    if debtor is None or debtor[:8] != rail.house_bank_bic[:8]:
        return "NOT_HOUSE_BANK", f"the debtor account is not held at {rail.house_bank_bic}"
    return None


def _corridor(rail: Rail, request: RouteRequest) -> tuple[str, str] | None:
    origin = bic_country(request.debtor_bank_bic or "XXXXZZ")
    target = bic_country(request.creditor_bank_bic or "XXXXZZ")
    if rail.serves(origin, target):
        return None
    return "CORRIDOR_NOT_SERVED", f"{origin} → {target} is not among the rail's corridors"


def _amount(
    rail: Rail, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    amount = request.amount.amount
    if rail.min_amount is not None and amount < rail.min_amount:
        return "AMOUNT_BELOW_MIN", f"below the rail's minimum {rail.min_amount}"
    if rail.max_amount is not None and amount > rail.max_amount:
        return "AMOUNT_ABOVE_MAX", f"above the rail's maximum {rail.max_amount}"
    return None


def _requirement(
    requirement: str, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    beneficiary = reference.participant(request.creditor_bank_bic)
    name = request.creditor_bank_bic or "no beneficiary bank"
    if requirement == "DEBTOR_CIPS":
        debtor = reference.participant(request.debtor_bank_bic)
        if debtor is not None and (
            debtor.cips_status is CipsStatus.DIRECT
            or (debtor.cips_status is CipsStatus.INDIRECT and debtor.cips_dp_bic)
        ):
            return None
        return "DEBTOR_NOT_CIPS", "the payer bank is neither a CIPS DP nor an IP with its DP"
    if requirement == "BENEF_CIPS_REACHABLE":
        if _cips_reachable(reference, request.creditor_bank_bic, request.amount.currency.code):
            return None
        return "BENEF_NOT_CIPS_REACHABLE", f"{name} is not reachable through CIPS"
    if requirement == "BENEF_RMB_CORRESPONDENT":
        if beneficiary is not None and "CNY" in beneficiary.correspondents:
            return None
        return "BENEF_NO_RMB_CORRESPONDENT", f"{name} keeps no RMB account with a mainland bank"
    jurisdiction = requirement.split(":", 1)[1]
    if beneficiary is not None and jurisdiction in beneficiary.clearing_memberships:
        return None
    return (
        f"BENEF_NOT_IN_CLEARING:{jurisdiction}",
        f"{name} is not a {jurisdiction} clearing member",
    )


def _cips_reachable(reference: RoutingReference, bic: str | None, currency: str) -> bool:
    found = reference.participant(bic)
    if found is None:
        return False
    if found.cips_status is not CipsStatus.NONE:
        return True
    correspondent = reference.participant(found.correspondents.get(currency))
    return correspondent is not None and correspondent.cips_status is not CipsStatus.NONE


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
    if rail.value_rule is ValueRule.CURRENCY:
        code = currency_calendar(currency)
        rolled, rolls = timing.currency_value_date(calendars, code, send.business_date)
        return rolled, (code,), rolls
    settings = reference.settings
    country = request.creditor_country
    beneficiary = reference.participant(request.creditor_bank_bic)
    if beneficiary is not None:
        country = beneficiary.country
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


def with_rank_keys(reference: RoutingReference, keys: tuple[str, ...]) -> RoutingReference:
    """The same reference with other ranking keys (tests, what-if quotes)."""
    return replace(reference, settings=replace(reference.settings, ranking_keys=keys))
