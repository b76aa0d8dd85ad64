"""The worked examples E1-E10 of settlement.md §7 (and the rule tests of §1-§5) on the pure router.

The reference data is the seed shipped with the migration (settlement_rails.json,
settlement_participants.json, parameters_settlement.json); what-if variants (E2, E6, E7) change
one value of it, as an operator would by loading a new version.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from treasury.calendars import BusinessCalendars, seed_overrides
from treasury.money import Money
from treasury.refdata.model import Parameter
from treasury.settlement import routing, timing
from treasury.settlement.model import (
    Candidate,
    DecisionStatus,
    RailType,
    RouteDecision,
    RouteRequest,
)
from treasury.settlement.reference import (
    RoutingReference,
    participant_from_document,
    rail_from_document,
    routing_settings,
)

SEED = Path(__file__).resolve().parents[2] / "treasury" / "refdata" / "seed"
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUSE = "HBKACNSH"
CALENDARS = BusinessCalendars(seed_overrides())
NO_OVERRIDES = BusinessCalendars()


def _seed(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SEED / name).read_text(encoding="utf-8"))
    return document


def seeded_parameters() -> dict[str, Parameter]:
    """The seeded routing parameters (version 1)."""
    return {
        item["name"]: Parameter(
            name=item["name"],
            value=item["value"],
            effective_from=date.fromisoformat(item["effective_from"]),
            source=item["source"],
            version=1,
            loaded_at=datetime(2026, 1, 1, tzinfo=SHANGHAI),
        )
        for item in _seed("parameters_settlement.json")["parameters"]
    }


def reference(
    *,
    rails: dict[str, dict[str, Any]] | None = None,
    parameters: dict[str, Any] | None = None,
    rates: dict[str, Decimal] | None = None,
) -> RoutingReference:
    """The seeded reference, with some rail fields or parameter values replaced."""
    rail_documents = [
        {**document, **(rails or {}).get(document["id"], {})}
        for name in ("settlement_rails.json", "settlement_rails_generic.json")
        for document in _seed(name)["rails"]
    ]
    params = seeded_parameters()
    for name, value in (parameters or {}).items():
        params[name] = replace(params[name], value=value)
    return RoutingReference(
        participants={
            document["bic"]: participant_from_document(document)
            for document in _seed("settlement_participants.json")["participants"]
        },
        rails=tuple(rail_from_document(document) for document in rail_documents),
        settings=routing_settings(params),
        cny_rates=rates if rates is not None else {"USD": Decimal("7.10"), "EUR": Decimal("7.70")},
        version="test",
    )


def payment(
    amount: str,
    currency: str,
    beneficiary_bic: str,
    submitted: datetime,
    **fields: Any,
) -> RouteRequest:
    """An outbound payment from the house bank (resident) to a non-resident beneficiary."""
    return RouteRequest(
        amount=Money.of(amount, currency),
        debtor_bank_bic=fields.pop("debtor_bank_bic", HOUSE),
        debtor_resident=fields.pop("debtor_resident", True),
        creditor_bank_bic=beneficiary_bic,
        creditor_country=fields.pop("creditor_country", beneficiary_bic[4:6]),
        creditor_resident=fields.pop("creditor_resident", beneficiary_bic[4:6] == "CN"),
        submitted_at=submitted,
        **fields,
    )


def beijing(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Beijing wall-clock instant."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def candidate(decision: RouteDecision, rail_id: str) -> Candidate:
    """The candidate of one rail."""
    return next(c for c in decision.candidates if c.rail_id == rail_id)


def routed(decision: RouteDecision) -> Any:
    """The chosen route of a routed decision."""
    assert decision.status is DecisionStatus.ROUTED, decision
    assert decision.chosen is not None
    return decision.chosen


def test_e1_cips_beats_the_clearing_bank_on_policy_rank() -> None:
    decision = routing.decide(
        payment("5000000.00", "CNY", "DEUTDEFF", beijing(2026, 3, 10, 10, 0)),
        reference(),
        CALENDARS,
    )

    chosen = routed(decision)
    assert (chosen.rail, chosen.rail_id) == (RailType.CIPS, "CIPS_A")
    assert chosen.send_at == beijing(2026, 3, 10, 10, 0)
    assert chosen.value_date == date(2026, 3, 10)
    assert chosen.fee_estimate == Money.of("550.00", "CNY")
    clearing = candidate(decision, "CLR_DE")
    assert clearing.value_date == date(2026, 3, 10)
    assert clearing.cost_cny == Decimal("1150.00")
    assert "beat CLR_DE on policy_rank (1 vs 2)" in chosen.explanation


def test_e2_ranking_by_cost_first_chooses_the_clearing_bank() -> None:
    keys = ["value_date", "cost_cny", "policy_rank", "credit_at", "rail_id"]
    decision = routing.decide(
        payment("5000000.00", "CNY", "DEUTDEFF", beijing(2026, 3, 10, 10, 0)),
        reference(
            rails={
                "CIPS_A": {
                    "fee": {"ccy": "CNY", "bps": "5", "min": "50", "max": "2000", "cable": "50"}
                }
            },
            parameters={"routing.ranking_keys": keys},
        ),
        CALENDARS,
    )

    chosen = routed(decision)
    assert chosen.rail_id == "CLR_DE"
    assert candidate(decision, "CIPS_A").cost_cny == Decimal("2050.00")
    assert candidate(decision, "CLR_DE").cost_cny == Decimal("1150.00")
    assert "beat CIPS_A on cost_cny (1150.00 vs 2050.00)" in chosen.explanation


def test_e3_usd_on_a_working_saturday_is_valued_after_presidents_day() -> None:
    decision = routing.decide(
        payment("300000.00", "USD", "CHASUS33", beijing(2026, 2, 14, 10, 0)),
        reference(),
        CALENDARS,
    )

    chosen = routed(decision)
    assert chosen.rail_id == "SWIFT_USD"
    assert chosen.rail is RailType.SWIFT
    assert chosen.send_at.date() == date(2026, 2, 14)
    assert chosen.value_date == date(2026, 2, 17)
    assert "adjusted working weekend" in chosen.explanation
    assert "2026-02-16 holiday (US_FED)" in chosen.explanation
    assert "2026-02-15 weekend (US_FED)" in chosen.explanation


def test_e4_to_a_bochk_participant_outside_cips_goes_through_the_hk_clearing_bank() -> None:
    decision = routing.decide(
        payment("800000.00", "CNY", "DSBAHKHH", beijing(2026, 4, 8, 15, 0)),
        reference(),
        CALENDARS,
    )

    chosen = routed(decision)
    assert (chosen.rail, chosen.rail_id) == (RailType.CLEARING_BANK, "CLR_HK")
    assert chosen.value_date == date(2026, 4, 8)
    assert candidate(decision, "CIPS_A").excluded_reason == "BENEF_NOT_CIPS_REACHABLE"


def test_e5_cnY_capital_payment_to_a_singapore_cips_participant() -> None:
    decision = routing.decide(
        payment("20000000.00", "CNY", "DBSSSGSG", beijing(2026, 3, 10, 11, 0)),
        reference(),
        CALENDARS,
    )

    chosen = routed(decision)
    assert chosen.rail_id == "CIPS_A"
    assert chosen.value_date == date(2026, 3, 10)


def test_e6_after_the_cutoff_before_national_day_waits_for_october_8() -> None:
    request = payment("50000000.00", "CNY", "HSBCHKHH", beijing(2026, 9, 30, 17, 20))

    decision = routing.decide(request, reference(), CALENDARS)

    chosen = routed(decision)
    assert chosen.rail_id == "CIPS_A"
    assert chosen.send_at == beijing(2026, 10, 8, 8, 30)
    assert chosen.value_date == date(2026, 10, 8)
    assert "2026-10-01 holiday (CN_IB)" in chosen.explanation
    assert "rolled over" in chosen.explanation


def test_e6_with_holiday_service_the_bank_sends_on_october_2() -> None:
    request = payment("50000000.00", "CNY", "HSBCHKHH", beijing(2026, 9, 30, 17, 20))

    decision = routing.decide(
        request,
        reference(
            rails={"CIPS_A": {"holiday_service": True}},
            parameters={"cips.holiday_service_dates": ["2026-10-02"]},
        ),
        CALENDARS,
    )

    chosen = routed(decision)
    assert chosen.send_at == beijing(2026, 10, 2, 8, 30)
    assert chosen.value_date == date(2026, 10, 2)
    assert "holiday service" in chosen.explanation


def test_e6_holiday_service_dates_alone_do_not_open_a_bank_that_did_not_opt_in() -> None:
    request = payment("50000000.00", "CNY", "HSBCHKHH", beijing(2026, 9, 30, 17, 20))

    decision = routing.decide(
        request, reference(parameters={"cips.holiday_service_dates": ["2026-10-02"]}), CALENDARS
    )

    assert routed(decision).send_at == beijing(2026, 10, 8, 8, 30)


def test_e7_eur_on_good_friday_is_valued_after_easter_monday() -> None:
    decision = routing.decide(
        payment("250000.00", "EUR", "BNPAFRPP", beijing(2026, 4, 3, 10, 0)),
        reference(),
        CALENDARS,
    )

    chosen = routed(decision)
    assert chosen.rail_id == "SWIFT_EUR"
    assert chosen.send_at == beijing(2026, 4, 3, 10, 0)
    assert chosen.value_date == date(2026, 4, 7)
    assert "2026-04-03 holiday (TARGET)" in chosen.explanation
    assert "2026-04-06 holiday (TARGET)" in chosen.explanation


def test_e7_with_a_two_day_forward_limit_the_instruction_is_queued() -> None:
    decision = routing.decide(
        payment("250000.00", "EUR", "BNPAFRPP", beijing(2026, 4, 3, 10, 0)),
        reference(parameters={"fx.max_forward_calendar_days": "2"}),
        CALENDARS,
    )

    chosen = routed(decision)
    assert chosen.send_at == beijing(2026, 4, 7, 8, 30)
    assert chosen.value_date == date(2026, 4, 7)
    assert "queued" in chosen.explanation


def test_e8_an_inbound_payment_valued_in_the_golden_week_is_credited_on_october_8() -> None:
    credited, notes = timing.inbound_credit_date(CALENDARS, date(2026, 10, 2))

    assert credited == date(2026, 10, 8)
    assert "holiday gap: 2026-10-02 holiday (CN_IB)" in notes
    assert any("2026-10-03 weekend" in note for note in notes)


def test_e9_cnh_to_a_hong_kong_participant_goes_over_cips_as_cny() -> None:
    request = payment("1000000.00", "CNH", "HSBCHKHH", beijing(2026, 3, 10, 10, 0), market="CNH")

    decision = routing.decide(request, reference(), CALENDARS)

    chosen = routed(decision)
    assert request.amount.currency.code == "CNY"
    assert chosen.rail_id == "CIPS_A"
    assert decision.market == "CNH"
    assert "market CNH" in chosen.explanation


def test_e10_a_2027_value_date_without_an_override_is_refused() -> None:
    request = payment(
        "1000000.00",
        "CNY",
        "HSBCHKHH",
        beijing(2026, 11, 26, 10, 0),
        requested_value_date=date(2027, 3, 1),
    )

    decision = routing.decide(request, reference(), NO_OVERRIDES)

    assert decision.status is DecisionStatus.REJECT
    assert decision.reasons == ("CALENDAR_NOT_LOADED",)
    assert decision.chosen is None
    assert candidate(decision, "CIPS_A").excluded_reason == "CALENDAR_NOT_LOADED"


def test_e10_with_the_expected_2027_cn_override_the_route_carries_a_warning() -> None:
    request = payment(
        "1000000.00",
        "CNY",
        "HSBCHKHH",
        beijing(2026, 11, 26, 10, 0),
        requested_value_date=date(2027, 3, 1),
    )

    decision = routing.decide(request, reference(), CALENDARS)

    chosen = routed(decision)
    assert chosen.value_date == date(2027, 3, 1)
    assert any("CN_IB 2027 holidays are expected" in w for w in decision.warnings)
    assert "WARNING: CN_IB 2027" in chosen.explanation


@pytest.mark.parametrize(
    ("submitted", "expected_send"),
    [
        (beijing(2026, 3, 10, 10, 0), beijing(2026, 3, 10, 10, 0)),  # §1 rule 2: open
        (beijing(2026, 3, 8, 12, 0), beijing(2026, 3, 9, 8, 30)),  # Sunday: the bank opens 08:30
        (beijing(2026, 2, 14, 10, 0), beijing(2026, 2, 14, 10, 0)),  # §1 rule 3: working Sat
        (beijing(2026, 2, 16, 10, 0), beijing(2026, 2, 24, 8, 30)),  # Spring Festival
        (beijing(2026, 3, 10, 16, 29), beijing(2026, 3, 10, 16, 29)),  # before the cut-off
        (beijing(2026, 3, 10, 16, 30), beijing(2026, 3, 11, 8, 30)),  # §1 rule 4: rolls over
    ],
)
def test_cips_sessions_and_cutoffs(submitted: datetime, expected_send: datetime) -> None:
    decision = routing.decide(
        payment("100000.00", "CNY", "HSBCHKHH", submitted), reference(), CALENDARS
    )

    assert candidate(decision, "CIPS_A").send_at == expected_send


def test_cips_opens_at_0430_after_a_holiday_when_the_bank_does() -> None:
    early_bank = reference(rails={"CIPS_A": {"bank_open": "04:00"}})

    decision = routing.decide(
        payment("100000.00", "CNY", "HSBCHKHH", beijing(2026, 3, 8, 12, 0)), early_bank, CALENDARS
    )
    tuesday = routing.decide(
        payment("100000.00", "CNY", "HSBCHKHH", beijing(2026, 3, 10, 3, 0)), early_bank, CALENDARS
    )

    assert candidate(decision, "CIPS_A").send_at == beijing(2026, 3, 9, 4, 30)
    assert candidate(tuesday, "CIPS_A").send_at == beijing(2026, 3, 10, 8, 30)


def test_hvps_after_the_friday_cutoff_reopens_on_monday() -> None:
    decision = routing.decide(
        payment("100000.00", "CNY", "DSBAHKHH", beijing(2026, 3, 13, 17, 20)),
        reference(),
        CALENDARS,
    )

    assert candidate(decision, "CLR_HK").send_at == beijing(2026, 3, 16, 8, 30)


def test_an_hk_public_holiday_moves_the_hk_credit_to_the_next_day() -> None:
    decision = routing.decide(
        payment("100000.00", "CNY", "DSBAHKHH", beijing(2026, 4, 7, 10, 0)),
        reference(),
        CALENDARS,
    )

    clearing = candidate(decision, "CLR_HK")
    assert clearing.send_at == beijing(2026, 4, 7, 10, 0)
    assert clearing.value_date == date(2026, 4, 8)


def test_an_hk_payment_on_a_mainland_working_weekend_credits_inside_the_chats_window() -> None:
    decision = routing.decide(
        payment("100000.00", "CNY", "DSBAHKHH", beijing(2026, 2, 28, 10, 0)),
        reference(),
        CALENDARS,
    )

    clearing = candidate(decision, "CLR_HK")
    assert clearing.value_date == date(2026, 2, 28)
    assert any("mainland working weekend window" in note for note in clearing.notes)


def test_a_bank_outside_every_directory_has_no_rail() -> None:
    decision = routing.decide(
        payment("100000.00", "CNY", "ABNANL2A", beijing(2026, 3, 10, 10, 0)),
        reference(),
        CALENDARS,
    )

    assert decision.status is DecisionStatus.REJECT
    assert decision.reasons == ("NO_ROUTE",)
    assert candidate(decision, "CIPS_A").excluded_reason == "BENEF_NOT_CIPS_REACHABLE"
    assert candidate(decision, "SWIFT_USD").excluded_reason == "CURRENCY_NOT_SUPPORTED"


def test_a_correspondent_bank_reaches_cips_through_its_correspondent_and_corr_rmb() -> None:
    decision = routing.decide(
        payment("100000.00", "CNY", "COBADEFF", beijing(2026, 3, 10, 10, 0)),
        reference(),
        CALENDARS,
    )

    assert routed(decision).rail_id == "CIPS_A"
    correspondent = candidate(decision, "CORR_RMB")
    assert correspondent.eligible
    assert correspondent.cost_cny == Decimal("350.00")  # 0.1% = 100, cable 150, deduction 100
