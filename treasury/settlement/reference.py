"""Reference documents → routing values: participants, rails and the routing parameters.

Every way in (seed files, `POST /v1/participants`, `/v1/rails`, `treasury refdata load`) goes
through these parsers, so a malformed rail is refused once, the same way, with a field name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from treasury.calendars import CALENDAR_CODES
from treasury.errors import CipsDpUnknown, ValidationFailed
from treasury.money import is_currency_code
from treasury.refdata.model import Parameter
from treasury.settlement.model import (
    DEBTOR_BANK_LOCAL,
    CipsStatus,
    Fee,
    Leg,
    Participant,
    Rail,
    RailType,
    RoutingSettings,
    Scope,
    SessionWindow,
    ValueRule,
    WeekendWindow,
)

_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_RAIL_ID = re.compile(r"^[A-Z0-9_]{2,40}$")
_REQUIREMENT = re.compile(
    r"^(BENEF_CIPS_REACHABLE|BENEF_IN_CLEARING:[A-Z]{2}|BENEF_RMB_CORRESPONDENT|DEBTOR_CIPS"
    r"|DEBTOR_IN_CLEARING:[A-Z]{2})$"
)
RANKING_KEYS = frozenset(
    {"value_date", "policy_rank", "cost_cny", "credit_at", "send_at", "rail_id"}
)


def bic_country(bic: str) -> str:
    """The country of a BIC (its fifth and sixth letters)."""
    return bic[4:6]


def checked_bic(value: Any, name: str) -> str:
    """An 8 or 11 character BIC in capitals."""
    if not isinstance(value, str) or not _BIC.match(value):
        raise ValidationFailed(f"{name} {value!r} is not a BIC", field=name)
    return value


def _country(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _COUNTRY.match(value):
        raise ValidationFailed(f"{name} {value!r} is not an ISO 3166 code", field=name)
    return value


def _time(value: Any, name: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{name} {value!r} is not HH:MM", field=name) from None


def _optional_time(value: Any, name: str) -> time | None:
    return None if value is None else _time(value, name)


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, (float, bool)):
        raise ValidationFailed(f"{name} must be a decimal string", field=name)
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{name} {value!r} is not a decimal", field=name) from None
    if not found.is_finite() or found < 0:
        raise ValidationFailed(f"{name} {value!r} must be a non-negative decimal", field=name)
    return found


def _optional_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None else _decimal(value, name)


def _int(value: Any, name: str, *, low: int = 0, high: int = 10_000) -> int:
    try:
        found = int(str(value))
    except ValueError:
        raise ValidationFailed(f"{name} {value!r} is not a whole number", field=name) from None
    if not low <= found <= high:
        raise ValidationFailed(f"{name} {found} is outside [{low}, {high}]", field=name)
    return found


def _zone(value: Any, name: str) -> str:
    if value == DEBTOR_BANK_LOCAL:
        return DEBTOR_BANK_LOCAL
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"{name} {value!r} is not an IANA time zone", field=name) from None
    return str(value)


def _calendars(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValidationFailed(f"{name} must be a non-empty list of calendar codes", field=name)
    unknown = [code for code in value if code not in CALENDAR_CODES | {DEBTOR_BANK_LOCAL}]
    if unknown:
        raise ValidationFailed(f"{name}: unknown calendars {unknown}", field=name)
    return tuple(str(code) for code in value)


def _optional_date(value: Any, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{name} {value!r} is not a date", field=name) from None


def participant_from_document(document: Mapping[str, Any]) -> Participant:
    """A participant from its document (the shape of `POST /v1/participants`)."""
    try:
        status = CipsStatus(str(document.get("cips_status", "NONE")))
    except ValueError:
        raise ValidationFailed("cips_status must be DIRECT, INDIRECT or NONE") from None
    dp = document.get("cips_dp_bic")
    if status is CipsStatus.INDIRECT and dp is None:
        raise ValidationFailed("an indirect CIPS participant needs its cips_dp_bic")
    memberships = document.get("clearing_memberships") or []
    correspondents = document.get("correspondents") or {}
    cnaps = document.get("cnaps_code")
    if cnaps is not None and not re.fullmatch(r"[0-9]{12}", str(cnaps)):
        raise ValidationFailed(f"cnaps_code {cnaps!r} is not 12 digits", field="cnaps_code")
    name = str(document.get("name") or "").strip()
    if not name:
        raise ValidationFailed("a participant needs its name", field="name")
    return Participant(
        bic=checked_bic(document.get("bic"), "bic"),
        name=name,
        country=_country(document.get("country"), "country"),
        cips_status=status,
        cips_dp_bic=None if dp is None else checked_bic(dp, "cips_dp_bic"),
        clearing_memberships=frozenset(
            _country(item, "clearing_memberships") for item in memberships
        ),
        correspondents={
            str(ccy): checked_bic(bic, "correspondents") for ccy, bic in correspondents.items()
        },
        cnaps_code=None if cnaps is None else str(cnaps),
        lei=None if document.get("lei") is None else str(document["lei"]),
    )


def check_dp(participant: Participant, directory: Mapping[str, Participant]) -> None:
    """An indirect participant reaches CIPS only through a direct one known on the same date.

    Raises:
        CipsDpUnknown: its DP is missing from the directory, or is no direct participant.
    """
    dp = participant.cips_dp_bic
    if participant.cips_status is not CipsStatus.INDIRECT or dp is None:
        return
    found = directory.get(dp) or directory.get(dp[:8])
    if found is None:
        raise CipsDpUnknown(
            f"{participant.bic}'s CIPS direct participant {dp} is not in the directory",
            bic=participant.bic,
            cips_dp_bic=dp,
        )
    if found.cips_status is not CipsStatus.DIRECT:
        raise CipsDpUnknown(
            f"{participant.bic}'s CIPS direct participant {dp} is {found.cips_status}, not DIRECT",
            bic=participant.bic,
            cips_dp_bic=dp,
        )


def rail_from_document(document: Mapping[str, Any]) -> Rail:
    """A rail from its document (the shape of `POST /v1/rails` and the seed file)."""
    rail_id = str(document.get("id", ""))
    if not _RAIL_ID.match(rail_id):
        raise ValidationFailed(f"rail id {rail_id!r}: capitals, digits, _", field="id")
    try:
        rail_type = RailType(str(document.get("type")))
        scope = Scope(str(document.get("scope")))
        value_rule = ValueRule(str(document.get("value_rule", "credit")))
    except ValueError as error:
        raise ValidationFailed(f"rail {rail_id}: {error}") from None
    currencies = document.get("currencies") or []
    excluded = document.get("currencies_excluded") or []
    if not currencies or not all(_rail_currency(c) for c in currencies):
        raise ValidationFailed(
            f"rail {rail_id}: currencies must be ISO 4217 codes (CNY for CNH), or '*' for any"
        )
    if not all(c != "*" and _rail_currency(c) for c in excluded):
        raise ValidationFailed(f"rail {rail_id}: currencies_excluded must be ISO 4217 codes")
    requires = tuple(str(item) for item in document.get("requires") or [])
    bad = [item for item in requires if not _REQUIREMENT.match(item)]
    if bad:
        raise ValidationFailed(f"rail {rail_id}: unknown requirements {bad}", field="requires")
    credit = document.get("credit_calendars")
    house = document.get("house_bank_bic")
    return Rail(
        id=rail_id,
        type=rail_type,
        scope=scope,
        currencies=frozenset(str(c) for c in currencies),
        currencies_excluded=frozenset(str(c) for c in excluded),
        corridors=_corridors(document.get("corridors"), rail_id),
        session=_session(document.get("session"), rail_id),
        legs=_legs(document.get("legs"), rail_id),
        fee=_fee(document.get("fee"), rail_id),
        policy_rank=_int(document.get("policy_rank"), "policy_rank", low=1, high=99),
        house_bank_bic=None if house is None else checked_bic(house, "house_bank_bic"),
        requires=requires,
        bank_tz=_zone(document.get("bank_tz", "Asia/Shanghai"), "bank_tz"),
        bank_open=_optional_time(document.get("bank_open"), "bank_open"),
        bank_cutoff=_optional_time(document.get("bank_cutoff"), "bank_cutoff"),
        credit_latency_min=_int(document.get("credit_latency_min", 30), "credit_latency_min"),
        value_rule=value_rule,
        credit_calendars=None if credit is None else _calendars(credit, "credit_calendars"),
        weekend_window=_weekend(document.get("weekend_window")),
        holiday_service=bool(document.get("holiday_service", False)),
        min_amount=_optional_decimal(document.get("min_amount"), "min_amount"),
        max_amount=_optional_decimal(document.get("max_amount"), "max_amount"),
        enabled=bool(document.get("enabled", True)),
        valid_from=_optional_date(document.get("valid_from"), "valid_from"),
        valid_to=_optional_date(document.get("valid_to"), "valid_to"),
        source=str(document.get("source_note") or document.get("source") or ""),
    )


def _rail_currency(value: Any) -> bool:
    return value == "*" or (is_currency_code(str(value)) and value != "CNH")


def _corridors(value: Any, rail_id: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not value:
        raise ValidationFailed(f"rail {rail_id}: corridors must be a non-empty list")
    found = []
    for item in value:
        origin, target = str(item.get("from_ctry", "")), str(item.get("to_ctry", ""))
        for code in (origin, target):
            if code != "*":
                _country(code, "corridors")
        found.append((origin, target))
    return tuple(found)


def _session(value: Any, rail_id: str) -> SessionWindow:
    if not isinstance(value, dict):
        raise ValidationFailed(f"rail {rail_id}: a session is required", field="session")
    return SessionWindow(
        tz=_zone(value.get("tz"), "session.tz"),
        calendars=_calendars(value.get("calendars"), "session.calendars"),
        open=_time(value.get("open"), "session.open"),
        close=_time(value.get("close"), "session.close"),
        open_day_offset=_int(value.get("open_day_offset", 0), "open_day_offset", low=-1, high=0),
        open_after_holiday=_optional_time(value.get("open_after_holiday"), "open_after_holiday"),
    )


def _legs(value: Any, rail_id: str) -> tuple[Leg, ...]:
    if not isinstance(value, list) or not value:
        raise ValidationFailed(f"rail {rail_id}: legs must be a non-empty list", field="legs")
    return tuple(
        Leg(name=str(item.get("name")), latency_min=_int(item.get("latency_min"), "latency_min"))
        for item in value
    )


def _fee(value: Any, rail_id: str) -> Fee:
    if not isinstance(value, dict) or not is_currency_code(str(value.get("ccy", ""))):
        raise ValidationFailed(f"rail {rail_id}: fee needs a currency (ccy)", field="fee")
    return Fee(
        currency=str(value["ccy"]),
        bps=_decimal(value.get("bps", "0"), "fee.bps"),
        minimum=_decimal(value.get("min", "0"), "fee.min"),
        maximum=_optional_decimal(value.get("max"), "fee.max"),
        fixed=_decimal(value.get("fixed", "0"), "fee.fixed"),
        cable=_decimal(value.get("cable", "0"), "fee.cable"),
        intermediary=_decimal(value.get("intermediary", "0"), "fee.intermediary"),
        deduction=_decimal(value.get("deduction", "0"), "fee.deduction"),
    )


def _weekend(value: Any) -> WeekendWindow | None:
    if value is None:
        return None
    return WeekendWindow(
        tz=_zone(value.get("tz"), "weekend_window.tz"),
        open=_time(value.get("open"), "weekend_window.open"),
        close=_time(value.get("close"), "weekend_window.close"),
    )


# -- parameters ---------------------------------------------------------------------------------

ROUTING_PARAMETERS = (
    "routing.ranking_keys",
    "routing.internal_processing_min",
    "routing.credit_cutoff_local",
    "routing.leg_handoff_min",
    "routing.max_search_days",
    "routing.country_calendars",
    "routing.country_timezones",
    "cips.holiday_service_dates",
    "fx.max_forward_calendar_days",
    "cnaps.beps_limit",
)


def routing_settings(parameters: Mapping[str, Parameter]) -> RoutingSettings:
    """The routing parameters in force; a missing one keeps the documented default."""
    default = RoutingSettings()

    def value(name: str) -> Any:
        found = parameters.get(name)
        return None if found is None else found.value

    keys = value("routing.ranking_keys") or list(default.ranking_keys)
    unknown = [key for key in keys if key not in RANKING_KEYS]
    if unknown:
        raise ValidationFailed(f"routing.ranking_keys: unknown keys {unknown}")
    calendars = value("routing.country_calendars") or {}
    zones = value("routing.country_timezones") or {}
    return RoutingSettings(
        ranking_keys=tuple(keys),
        internal_processing_min=_int(
            value("routing.internal_processing_min") or 0, "routing.internal_processing_min"
        ),
        credit_cutoff_local=_time(
            value("routing.credit_cutoff_local") or "17:00", "routing.credit_cutoff_local"
        ),
        leg_handoff_min=_int(value("routing.leg_handoff_min") or 15, "routing.leg_handoff_min"),
        holiday_service_dates=frozenset(
            date.fromisoformat(str(d)) for d in value("cips.holiday_service_dates") or []
        ),
        max_forward_calendar_days=_int(
            value("fx.max_forward_calendar_days") or 5, "fx.max_forward_calendar_days"
        ),
        beps_limit=_decimal(value("cnaps.beps_limit") or "50000", "cnaps.beps_limit"),
        max_search_days=_int(value("routing.max_search_days") or 45, "routing.max_search_days"),
        country_calendars={str(k): str(v) for k, v in calendars.items()},
        country_timezones={str(k): _zone(v, "routing.country_timezones") for k, v in zones.items()},
    )


@dataclass(frozen=True)
class RoutingReference:
    """All the reference data one decision reads, and its fingerprint (the ruleset version)."""

    participants: Mapping[str, Participant]
    rails: tuple[Rail, ...]
    settings: RoutingSettings
    cny_rates: Mapping[str, Decimal]
    version: str

    def participant(self, bic: str | None) -> Participant | None:
        """The participant of a BIC (an 11-character branch BIC falls back to its 8-char head)."""
        if bic is None:
            return None
        return self.participants.get(bic) or self.participants.get(bic[:8])


def fingerprint(*documents: Any) -> str:
    """A short, stable digest of the reference documents a decision used."""
    canonical = json.dumps(documents, sort_keys=True, default=str, separators=(",", ":"))
    return "ref-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
