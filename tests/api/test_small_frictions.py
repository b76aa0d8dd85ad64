"""Frictions a new user met (issue 13): which date a payment file is for, the BOP table of today,
a bank rejection in words, an effectiveness test that has not enough data yet, Greeks with units."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import exporter, forward_hedge, post_snapshot, snapshot
from tests.api.test_iso20022_api import outbound
from tests.api.test_iso20022_status import identifiers, post_report, report
from tests.api.test_routing_api import counterparty, payer
from tests.support import TenantFixture
from treasury.clock import FixedClock
from treasury.settlement.status_reasons import described, status_reason

Json = dict[str, Any]


# -- payment files: the send date, said so ------------------------------------------------------


def test_a_payment_file_is_asked_for_by_its_send_date_and_the_old_name_still_works(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    sent_on = transfer["route"]["send_at"][:10]
    path = f"/v1/payment-files?debtor_account_id={account['id']}"

    by_send_date = client.get(f"{path}&send_date={sent_on}", headers=tenant.treasurer)
    by_old_name = client.get(f"{path}&date={sent_on}", headers=tenant.treasurer)

    assert by_send_date.status_code == 200, by_send_date.text
    assert by_send_date.text == by_old_name.text
    assert by_send_date.headers["X-Send-Date"] == sent_on
    both = client.get(f"{path}&date={sent_on}&send_date={sent_on}", headers=tenant.treasurer)
    assert_problem(both, 422, "VALIDATION_ERROR")
    assert_problem(client.get(path, headers=tenant.treasurer), 422, "VALIDATION_ERROR")


def test_the_document_says_the_payment_file_date_is_the_send_date(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/v1/payment-files"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert "send date" in parameters["send_date"]["description"]
    assert "not the value date" in parameters["send_date"]["description"]
    assert parameters["date"]["deprecated"] is True


# -- BOP codes: today's table without asking ----------------------------------------------------


def test_the_bop_table_defaults_to_today(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    today = clock.now().astimezone(UTC).date()  # TEST_NOW is mid-day in Shanghai and UTC alike

    implicit = get_json(client, "/v1/bop-codes?limit=5000", tenant.treasurer)
    explicit = get_json(client, f"/v1/bop-codes?as_of={today}&limit=5000", tenant.treasurer)

    assert implicit["as_of"] == today.isoformat()
    assert implicit["version"] is not None
    assert implicit["total"] == explicit["total"] > 100
    assert implicit["items"] == explicit["items"]
    goods = get_json(client, "/v1/bop-codes?category=goods_trade", tenant.treasurer)
    assert {item["category"] for item in goods["items"]} <= {"goods_trade"}


# -- a bank rejection in words ------------------------------------------------------------------


def test_the_iso_status_reasons_are_data_with_their_meaning() -> None:
    closed = status_reason("AC04")

    assert closed is not None
    assert (closed.name, closed.meaning.split(":")[0]) == ("ClosedAccountNumber", "closed account")
    funds = status_reason("am04")  # codes are read whatever their case
    assert funds is not None
    assert funds.name == "InsufficientFunds"
    assert described("ZZ99", None)[0] == "ZZ99 (a code outside the ISO list)"
    assert described(None, "see phone call") == (
        "no reason code — see phone call",
        "无原因代码——see phone call",
    )


def test_a_bank_rejection_carries_what_its_code_means(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, e2e = identifiers(client, tenant, transfer["id"])

    response = post_report(client, tenant, report(message_id, (e2e, "RJCT")))

    assert response.status_code == 200, response.text
    item = response.json()["items"][0]
    assert item["reason"] == "AC04"
    assert item["reason_meaning"].startswith("AC04 closed account")
    returned = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    finding = next(f for f in returned["findings"] if f["rule"] == "BANK_REJECTED")
    assert "AC04 closed account" in finding["message"]
    assert "Closed account" in finding["message"]  # the bank's own words kept
    assert "账户已销户" in finding["message_zh"]


# -- effectiveness before there is enough to judge ----------------------------------------------


def test_effectiveness_says_not_enough_observations_yet_instead_of_ineffective(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    post_snapshot(client, headers, snapshot("2026-11-26", "7.0850"))
    hedge = client.post(
        "/v1/hedges",
        json=forward_hedge(entity, exposure, "1000000.00", designation="cash_flow"),
        headers=headers,
    ).json()
    for day, spot in (("2026-11-26", "7.0850"), ("2026-11-27", "7.1000")):
        if day != "2026-11-26":
            post_snapshot(client, headers, snapshot(day, spot))
        clock.instant = datetime.combine(date.fromisoformat(day), time(2), tzinfo=UTC)
        run = client.post("/v1/hedges/revaluations", json={"as_of": day}, headers=headers)
        assert run.status_code == 201, run.text

    result = get_json(client, f"/v1/hedges/{hedge['id']}/effectiveness", tenant.auditor)

    assert result["effective"] is None
    assert result["verdict"] == "not_enough_observations"
    assert result["detail"].startswith("not enough observations yet: 1 of the 8")
    assert result["regression"]["effective"] is None
    assert result["regression"]["verdict"] == "not_enough_observations"
    assert result["regression"]["observations_needed"] == 8


# -- Greeks state their units -------------------------------------------------------------------


def test_greeks_state_their_units_in_the_schema_and_the_answer(
    app: FastAPI, client: TestClient, tenant: TenantFixture
) -> None:
    schema = app.openapi()["components"]["schemas"]["GreeksOut"]["properties"]
    body = {
        "as_of": "2026-11-26",
        "market": {
            "spot": "7.10",
            "domestic_rate": "0.02",
            "foreign_rate": "0.045",
            "volatility": "0.05",
        },
        "instrument": {
            "type": "option",
            "pair": "USDCNY",
            "option_type": "call",
            "direction": "buy",
            "notional": {"amount": "1000000.00", "currency": "USD"},
            "strike": "7.10",
            "expiry_date": "2027-05-26",
        },
    }

    priced = client.post("/v1/fx/price", json=body, headers=tenant.treasurer)

    assert "100 volatility points" in schema["vega"]["description"]
    assert "per year" in schema["theta"]["description"]
    assert "base currency" in schema["delta"]["description"]
    assert priced.status_code == 200, priced.text
    units = priced.json()["greeks"]["units"]
    assert set(units) == {"delta", "gamma", "vega", "theta", "rho_domestic", "rho_foreign"}
    assert units["vega"] == "CNY per 1.00 (100 vol points) rise of volatility"
