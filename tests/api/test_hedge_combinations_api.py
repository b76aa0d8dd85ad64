"""Option combinations over HTTP: priced as a whole, booked as one hedge under real demand on
their maximum delivery, revalued and closed out together; a sold option alone refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import SNAPSHOT, exporter, post_snapshot
from tests.support import TenantFixture

Json = dict[str, Any]


def option_leg(option_type: str, direction: str, strike: str, amount: str = "500000.00") -> Json:
    return {
        "type": "option",
        "pair": "USDCNY",
        "option_type": option_type,
        "direction": direction,
        "notional": {"amount": amount, "currency": "USD"},
        "strike": strike,
        "expiry_date": "2027-05-24",
    }


def collar(put: str, call: str, amount: str = "500000.00") -> Json:
    """An exporter's collar: buy a USD put, sell a USD call."""
    return {
        "type": "combination",
        "legs": [option_leg("put", "buy", put, amount), option_leg("call", "sell", call, amount)],
    }


def hedge_body(entity: Json, exposure: Json, instrument: Json) -> Json:
    return {
        "entity_id": entity["id"],
        "exposure_id": exposure["id"],
        "trade_date": "2026-11-26",
        "instrument": instrument,
    }


def priced(client: TestClient, tenant: TenantFixture, instrument: Json, **extra: Any) -> Json:
    response = client.post(
        "/v1/fx/price",
        json={"as_of": "2026-11-26", "market": {"snapshot": "2026-11-26"}, "instrument": instrument}
        | extra,
        headers=tenant.auditor,
    )
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


def test_a_combination_is_priced_as_the_sum_of_its_legs_with_greeks_in_units(
    client: TestClient, tenant: TenantFixture
) -> None:
    post_snapshot(client, tenant.treasurer, SNAPSHOT)
    whole = priced(client, tenant, collar("6.9500", "7.1500"))
    legs = [priced(client, tenant, leg) for leg in collar("6.9500", "7.1500")["legs"]]

    assert Decimal(whole["npv_exact"]) == sum(Decimal(leg["npv_exact"]) for leg in legs)
    for name in ("delta", "vega", "theta"):
        assert Decimal(whole["greeks"][name]) == sum(Decimal(leg["greeks"][name]) for leg in legs)
    assert whole["greeks"]["units"]["delta"].startswith("USD")
    assert whole["greeks"]["units"]["vega"].startswith("CNY per 1.00")
    assert whole["breakdown"]["max_delivery"] == "500000.00"


def test_a_collar_solved_to_zero_cost_prices_at_zero(
    client: TestClient, tenant: TenantFixture
) -> None:
    post_snapshot(client, tenant.treasurer, SNAPSHOT)

    solved = priced(client, tenant, collar("6.9500", "7.5000"), solve="zero_cost_strike")

    strike = Decimal(solved["breakdown"]["zero_cost_strike"])
    assert Decimal("7.0") < strike < Decimal("7.5")
    assert abs(Decimal(solved["npv"]["amount"])) <= Decimal("0.01")
    again = priced(client, tenant, collar("6.9500", str(strike)))
    assert again["npv"] == solved["npv"]


def test_a_collar_is_booked_revalued_and_closed_as_one_hedge(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    post_snapshot(client, headers, SNAPSHOT)

    booked = client.post(
        "/v1/hedges", json=hedge_body(entity, exposure, collar("6.9500", "7.1500")), headers=headers
    )
    assert booked.status_code == 201, booked.text
    hedge = booked.json()
    assert hedge["instrument"]["type"] == "combination"
    assert [leg["direction"] for leg in hedge["instrument"]["legs"]] == ["buy", "sell"]
    shown = get_json(client, f"/v1/exposures/{exposure['id']}", headers)
    assert shown["unhedged"]["amount"] == "500000.00"

    run = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)
    assert run.status_code == 201, run.text
    assert run.json()["count"] == 1
    whole = priced(client, tenant, collar("6.9500", "7.1500"))
    assert run.json()["npv_total"] == whole["npv"]
    valuation = get_json(client, f"/v1/hedges/{hedge['id']}/valuation?as_of=2026-11-26", headers)
    assert valuation["stored_npv"] == whole["npv"]
    assert valuation["greeks"]["units"]["theta"] == "CNY per year of time passing"

    closed = client.post(
        f"/v1/hedges/{hedge['id']}/close",
        json={"date": "2026-11-27", "change_of_underlying_ref": "AMEND-EX-1"},
        headers=headers,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert len(closed.json()["instrument"]["legs"]) == 2
    shown = get_json(client, f"/v1/exposures/{exposure['id']}", headers)
    assert shown["unhedged"]["amount"] == "1000000.00"  # both legs' delivery released


def test_real_demand_counts_a_combinations_maximum_delivery(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    # The call struck below the put: between 6.95 and 7.05 both are exercised, 2 × 600,000 USD.
    overlapping = collar("7.0500", "6.9500", "600000.00")

    refused = client.post(
        "/v1/hedges", json=hedge_body(entity, exposure, overlapping), headers=headers
    )
    within = client.post(
        "/v1/hedges",
        json=hedge_body(entity, exposure, collar("7.0500", "6.9500", "500000.00")),
        headers=headers,
    )

    body = assert_problem(refused, 422, "REAL_DEMAND_EXCEEDED")
    assert "1200000.00" in body["detail"]
    assert within.status_code == 201, within.text
    shown = get_json(client, f"/v1/exposures/{exposure['id']}", headers)
    assert shown["unhedged"]["amount"] == "0.00"


def test_a_sold_option_alone_and_broken_combinations_are_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    unequal = collar("6.9500", "7.1500")
    unequal["legs"][1]["notional"]["amount"] = "250000.00"  # a participating forward
    two_bought = collar("6.9500", "7.1500")
    two_bought["legs"][1]["direction"] = "buy"
    wrong_side = {
        "type": "combination",
        "legs": [option_leg("call", "buy", "7.15"), option_leg("put", "sell", "6.95")],
    }

    sold = client.post(
        "/v1/hedges",
        json=hedge_body(entity, exposure, option_leg("call", "sell", "7.15")),
        headers=headers,
    )
    answers = {
        name: client.post("/v1/hedges", json=hedge_body(entity, exposure, doc), headers=headers)
        for name, doc in (("unequal", unequal), ("two_bought", two_bought), ("side", wrong_side))
    }

    assert_problem(sold, 422, "SOLD_OPTION_REFUSED")
    assert_problem(answers["unequal"], 422, "OPTION_COMBINATION_INVALID")
    assert_problem(answers["two_bought"], 422, "OPTION_COMBINATION_INVALID")
    assert_problem(answers["side"], 422, "HEDGE_EXPOSURE_MISMATCH")  # a receipt needs a bought put
    assert get_json(client, f"/v1/exposures/{exposure['id']}", headers)["hedged"]["amount"] == (
        "0.00"
    )
