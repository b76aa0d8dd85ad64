"""Routing values: participants, rails, the payment to route, candidates and the decision.

Pure: no SQLAlchemy, no clock. Reference data arrives as documents (seed files, the operator's
loads) and is parsed here, so one set of checks guards every way in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from treasury.money import Money


class RailType(StrEnum):
    """Rail types (DESIGN §4.3 Routing)."""

    CIPS = "CIPS"
    CLEARING_BANK = "CLEARING_BANK"
    RMB_CORRESPONDENT = "RMB_CORRESPONDENT"
    SWIFT = "SWIFT"
    HVPS = "HVPS"
    BEPS = "BEPS"
    CFXPS = "CFXPS"  # 境内外币支付系统: onshore FX payments between Chinese banks
    LOCAL_RTGS = "LOCAL_RTGS"  # a jurisdiction's own RTGS, e.g. Hong Kong CHATS
    BOOK = "BOOK"


class CipsStatus(StrEnum):
    """A bank's place in CIPS."""

    DIRECT = "DIRECT"
    INDIRECT = "INDIRECT"
    NONE = "NONE"


class Scope(StrEnum):
    """Which payments a rail carries, by where the two banks are.

    `cross_border`: the banks are in two jurisdictions (either may be offshore). `domestic`:
    both onshore (CNAPS, CFXPS). `local`: both in one offshore jurisdiction (its RTGS).
    `internal`: one bank, the group's own accounts.
    """

    CROSS_BORDER = "cross_border"
    DOMESTIC = "domestic"
    LOCAL = "local"
    INTERNAL = "internal"


DEBTOR_BANK_LOCAL = "@debtor"
"""In a generic rail's session calendars or time zones: those of the sending bank's country
(`routing.country_calendars`, `routing.country_timezones`), so one rail serves every sender."""


class ValueRule(StrEnum):
    """How the value date follows: the beneficiary bank's credit, or the currency's calendar."""

    CREDIT = "credit"
    CURRENCY = "currency"


class DecisionStatus(StrEnum):
    """What the router concluded."""

    ROUTED = "routed"
    HOLD = "hold"
    REJECT = "reject"


@dataclass(frozen=True)
class Participant:
    """A bank in the participant directory (CIPS status, clearing memberships, correspondents)."""

    bic: str
    name: str
    country: str
    cips_status: CipsStatus
    cips_dp_bic: str | None = None
    clearing_memberships: frozenset[str] = frozenset()
    correspondents: Mapping[str, str] = field(default_factory=dict)
    cnaps_code: str | None = None
    lei: str | None = None


@dataclass(frozen=True)
class SessionWindow:
    """A system's customer window on business date D, in its own time zone.

    It opens at `open` on D + `open_day_offset` (HVPS: 20:30 on D-1) — at `open_after_holiday` on
    the first business date after a closed day when given (CIPS: 04:30) — and closes at `close`
    on D. D must be a business day in every one of `calendars`.
    """

    tz: str
    calendars: tuple[str, ...]
    open: time
    close: time
    open_day_offset: int = 0
    open_after_holiday: time | None = None


@dataclass(frozen=True)
class WeekendWindow:
    """Credits on mainland working weekends inside a local window (HK RMB CHATS, 08:30-18:30)."""

    tz: str
    open: time
    close: time


@dataclass(frozen=True)
class Fee:
    """A tariff: bps of the amount within [minimum, maximum], plus fixed, cable and deductions.

    `intermediary` is charged only when the debtor bears all charges (DEBT); `deduction` (a
    correspondent's lifting fee) always. Every figure is in `currency`.
    """

    currency: str
    bps: Decimal = Decimal(0)
    minimum: Decimal = Decimal(0)
    maximum: Decimal | None = None
    fixed: Decimal = Decimal(0)
    cable: Decimal = Decimal(0)
    intermediary: Decimal = Decimal(0)
    deduction: Decimal = Decimal(0)


@dataclass(frozen=True)
class Leg:
    """One system a payment crosses, with the time it takes to settle there."""

    name: str
    latency_min: int


@dataclass(frozen=True)
class Rail:
    """A configured way to pay (operator reference data)."""

    id: str
    type: RailType
    scope: Scope
    currencies: frozenset[str]
    corridors: tuple[tuple[str, str], ...]
    session: SessionWindow
    legs: tuple[Leg, ...]
    fee: Fee
    policy_rank: int
    house_bank_bic: str | None = None
    requires: tuple[str, ...] = ()
    bank_tz: str = "Asia/Shanghai"
    bank_open: time | None = None
    bank_cutoff: time | None = None
    credit_latency_min: int = 30
    value_rule: ValueRule = ValueRule.CREDIT
    credit_calendars: tuple[str, ...] | None = None
    weekend_window: WeekendWindow | None = None
    holiday_service: bool = False
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    enabled: bool = True
    valid_from: date | None = None
    valid_to: date | None = None
    source: str = ""
    currencies_excluded: frozenset[str] = frozenset()

    @property
    def generic(self) -> bool:
        """A rail for every sending bank of its corridors (no house bank's own tariff)."""
        return self.house_bank_bic is None and self.type is not RailType.BOOK

    @property
    def follows_debtor_bank(self) -> bool:
        """Its session, calendars or cut-off are those of the sending bank's country."""
        return DEBTOR_BANK_LOCAL in self.session.calendars or DEBTOR_BANK_LOCAL in (
            self.session.tz,
            self.bank_tz,
        )

    def carries(self, currency: str) -> bool:
        """True when the rail takes payments in `currency`."""
        if currency in self.currencies_excluded:
            return False
        return currency in self.currencies or "*" in self.currencies

    def serves(self, from_country: str, to_country: str) -> bool:
        """True when a corridor covers the two bank countries ('*' is any)."""
        return any(
            origin in ("*", from_country) and target in ("*", to_country)
            for origin, target in self.corridors
        )


@dataclass(frozen=True)
class RoutingSettings:
    """The routing parameters in force (from `refdata_parameter`)."""

    ranking_keys: tuple[str, ...] = (
        "value_date",
        "policy_rank",
        "cost_cny",
        "credit_at",
        "rail_id",
    )
    internal_processing_min: int = 0
    credit_cutoff_local: time = time(17, 0)
    leg_handoff_min: int = 15
    holiday_service_dates: frozenset[date] = frozenset()
    max_forward_calendar_days: int = 5
    beps_limit: Decimal = Decimal(50000)
    max_search_days: int = 45
    country_calendars: Mapping[str, str] = field(default_factory=dict)
    country_timezones: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteRequest:
    """What routing needs to know of a payment, assembled by the caller (transfer, sweep leg)."""

    amount: Money
    debtor_bank_bic: str | None
    debtor_resident: bool
    creditor_bank_bic: str | None
    creditor_country: str
    creditor_resident: bool
    submitted_at: datetime
    internal: bool = False
    market: str | None = None
    requested_value_date: date | None = None
    charge_bearer: str = "SHAR"
    urgent: bool = False

    @property
    def crosses_border(self) -> bool:
        """Exactly one side is resident."""
        return self.debtor_resident != self.creditor_resident


@dataclass(frozen=True)
class Candidate:
    """One rail's figures for a payment, or why it cannot carry it."""

    rail_id: str
    rail: RailType
    policy_rank: int
    excluded_reason: str | None = None
    detail: str | None = None
    send_at: datetime | None = None
    settle_at: datetime | None = None
    credit_at: datetime | None = None
    value_date: date | None = None
    fee_estimate: Money | None = None
    cost_cny: Decimal | None = None
    calendars: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        """True when the rail can carry the payment."""
        return self.excluded_reason is None

    def to_document(self) -> dict[str, Any]:
        """The candidate as stored and shown."""
        return {
            "rail": self.rail.value,
            "rail_id": self.rail_id,
            "policy_rank": self.policy_rank,
            "send_at": _iso(self.send_at),
            "settle_at": _iso(self.settle_at),
            "credit_at": _iso(self.credit_at),
            "value_date": None if self.value_date is None else self.value_date.isoformat(),
            "fee_estimate": _money(self.fee_estimate),
            "cost_cny": None if self.cost_cny is None else str(self.cost_cny),
            "excluded_reason": self.excluded_reason,
            "detail": self.detail,
            "calendars": list(self.calendars),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Route:
    """The chosen way to move a payment."""

    rail: RailType
    rail_id: str
    send_at: datetime
    value_date: date
    fee_estimate: Money | None
    explanation: str

    def to_document(self) -> dict[str, Any]:
        """The route as stored and shown."""
        return {
            "rail": self.rail.value,
            "rail_id": self.rail_id,
            "send_at": self.send_at.isoformat(),
            "value_date": self.value_date.isoformat(),
            "fee_estimate": _money(self.fee_estimate),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class RouteDecision:
    """The router's answer: status, reasons, the chosen route and every candidate."""

    status: DecisionStatus
    reasons: tuple[str, ...]
    chosen: Route | None
    candidates: tuple[Candidate, ...]
    ruleset_version: str
    warnings: tuple[str, ...] = ()
    market: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The decision as stored with a transfer and shown by a quote."""
        return {
            "status": self.status.value,
            "reasons": list(self.reasons),
            "chosen": None if self.chosen is None else self.chosen.to_document(),
            "candidates": [candidate.to_document() for candidate in self.candidates],
            "ruleset_version": self.ruleset_version,
            "warnings": list(self.warnings),
            "market": self.market,
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _money(money: Money | None) -> dict[str, str] | None:
    return None if money is None else {"amount": money.to_wire(), "currency": money.currency.code}
