"""The hedge book over HTTP: market data, exposures, real demand, close-out, revaluation."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity, open_account
from treasury.clock import FixedClock

Json = dict[str, Any]

SNAPSHOT: Json = {
    "as_of": "2026-11-26",
    "spots": {"USDCNY": "7.0850"},
    "curves": {
        "USD": [
            {"tenor": "1M", "rate": "0.0410"},
            {"tenor": "3M", "rate": "0.0405"},
            {"tenor": "6M", "rate": "0.0400"},
            {"tenor": "1Y", "rate": "0.0390"},
        ],
        "CNY": [{"tenor": "1M", "rate": "0.0160"}, {"tenor": "1Y", "rate": "0.0150"}],
    },
    "swap_points": {
        "USDCNY": [
            {"tenor": "1M", "points": "-0.0160"},
            {"tenor": "3M", "points": "-0.0460"},
            {"tenor": "6M", "points": "-0.0900"},
            {"tenor": "1Y", "points": "-0.1700"},
        ]
    },
    "vols": {
        "USDCNY": [
            {"tenor": "1M", "atm": "0.045", "rr25": "0.004", "bf25": "0.002"},
            {"tenor": "1Y", "atm": "0.050", "rr25": "0.006", "bf25": "0.003"},
        ]
    },
}


def snapshot(as_of: str, spot: str) -> Json:
    document = copy.deepcopy(SNAPSHOT)
    document["as_of"] = as_of
    document["spots"]["USDCNY"] = spot
    return document


def post_snapshot(client: TestClient, headers: dict[str, str], document: Json) -> None:
    response = client.post("/v1/market-data/snapshots", json=document, headers=headers)
    assert response.status_code == 201, response.text


def exporter(client: TestClient, tenant: TenantFixture) -> tuple[Json, Json, Json]:
    """An onshore entity with a CNY account and a USD 1,000,000 receipt due 2027-05-26."""
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    account = open_account(client, headers, entity["id"])
    response = client.post(
        "/v1/exposures",
        json={
            "entity_id": entity["id"],
            "pair": "USDCNY",
            "direction": "receive",
            "amount": {"amount": "1000000.00", "currency": "USD"},
            "expected_date": "2027-05-26",
            "description": "export contract EX-1",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return entity, account, response.json()


def forward_hedge(entity: Json, exposure: Json, amount: str, **fields: Any) -> Json:
    return {
        "entity_id": entity["id"],
        "exposure_id": exposure["id"],
        "trade_date": "2026-11-26",
        "instrument": {
            "type": "forward",
            "pair": "USDCNY",
            "direction": "sell",
            "notional": {"amount": amount, "currency": "USD"},
            "strike": "7.0000",
            "delivery_date": "2027-05-26",
        },
        **fields,
    }


def test_a_snapshot_is_stored_once_per_date(client: TestClient, tenant: TenantFixture) -> None:
    post_snapshot(client, tenant.treasurer, SNAPSHOT)

    again = client.post("/v1/market-data/snapshots", json=SNAPSHOT, headers=tenant.treasurer)

    assert_problem(again, 409, "CONFLICT")
    stored = get_json(client, "/v1/market-data/snapshots/2026-11-26", tenant.auditor)
    assert stored["spots"] == {"USDCNY": "7.0850"}
    assert stored["curves"]["USD"][0] == {"tenor": "1M", "rate": "0.0410", "day_count": "ACT/360"}


def test_a_snapshot_refuses_json_numbers_and_bad_tenors(
    client: TestClient, tenant: TenantFixture
) -> None:
    numeric = snapshot("2026-11-25", "7.08")
    numeric["spots"]["USDCNY"] = 7.08
    bad_tenor = snapshot("2026-11-25", "7.08")
    bad_tenor["swap_points"]["USDCNY"][0]["tenor"] = "1Q"

    for document in (numeric, bad_tenor):
        response = client.post("/v1/market-data/snapshots", json=document, headers=tenant.treasurer)
        assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/market-data/snapshots", tenant.treasurer)["items"] == []


def test_an_auditor_cannot_load_market_data(client: TestClient, tenant: TenantFixture) -> None:
    response = client.post("/v1/market-data/snapshots", json=SNAPSHOT, headers=tenant.auditor)

    assert_problem(response, 403, "FORBIDDEN")


def test_hedges_beyond_the_unhedged_amount_are_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity, _, exposure = exporter(client, tenant)
    first = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "600000.00"), headers=tenant.treasurer
    )
    assert first.status_code == 201, first.text

    beyond = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "400000.01"), headers=tenant.treasurer
    )

    body = assert_problem(beyond, 422, "REAL_DEMAND_EXCEEDED")
    assert "400000.00" in body["detail"]
    rest = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "400000.00"), headers=tenant.treasurer
    )
    assert rest.status_code == 201, rest.text
    shown = get_json(client, f"/v1/exposures/{exposure['id']}", tenant.treasurer)
    assert shown["hedged"] == {"amount": "1000000.00", "currency": "USD"}
    assert shown["unhedged"] == {"amount": "0.00", "currency": "USD"}


def test_a_hedge_must_offset_the_exposure(client: TestClient, tenant: TenantFixture) -> None:
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "100000.00")
    body["instrument"]["direction"] = "buy"  # buying USD adds to a USD receipt's risk

    response = client.post("/v1/hedges", json=body, headers=tenant.treasurer)

    assert_problem(response, 422, "HEDGE_EXPOSURE_MISMATCH")


def test_an_onshore_ndf_settles_in_cny(client: TestClient, tenant: TenantFixture) -> None:
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "100000.00")
    body["instrument"].update(type="ndf", fixing_date="2027-05-24", settlement_currency="USD")

    refused = client.post("/v1/hedges", json=body, headers=tenant.treasurer)
    body["instrument"]["settlement_currency"] = "CNY"
    accepted = client.post("/v1/hedges", json=body, headers=tenant.treasurer)

    assert_problem(refused, 422, "SETTLEMENT_CURRENCY_NOT_ALLOWED")
    assert accepted.status_code == 201, accepted.text


def test_closing_early_needs_a_change_of_underlying_reference(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity, _, exposure = exporter(client, tenant)
    hedge = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "1000000.00"), headers=tenant.treasurer
    ).json()
    path = f"/v1/hedges/{hedge['id']}/close"

    without = client.post(path, json={"date": "2026-11-26"}, headers=tenant.treasurer)
    blank = client.post(
        path,
        json={"date": "2026-11-26", "change_of_underlying_ref": "  "},
        headers=tenant.treasurer,
    )
    closed = client.post(
        path,
        json={"date": "2026-11-26", "change_of_underlying_ref": "AMEND-EX-1-2026-11"},
        headers=tenant.treasurer,
    )

    assert_problem(without, 422, "CHANGE_OF_UNDERLYING_REQUIRED")
    assert_problem(blank, 422, "CHANGE_OF_UNDERLYING_REQUIRED")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert_problem(
        client.post(path, json=closed.json() | {}, headers=tenant.treasurer),
        422,
        "VALIDATION_ERROR",
    )
    again = client.post(
        path,
        json={"date": "2026-11-26", "change_of_underlying_ref": "AMEND-EX-1-2026-11"},
        headers=tenant.treasurer,
    )
    assert_problem(again, 409, "CONFLICT")
    shown = get_json(client, f"/v1/exposures/{exposure['id']}", tenant.treasurer)
    assert shown["unhedged"]["amount"] == "1000000.00"


def ledger_balances(client: TestClient, headers: dict[str, str], entity_id: str) -> dict[str, str]:
    items = get_json(client, f"/v1/entities/{entity_id}/ledger-accounts?as_of=2099-12-31", headers)
    return {f"{item['kind']}": item["balance"] for item in items["items"] if item["kind"] != "bank"}


def test_revaluation_posts_the_change_once_per_date(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    hedge = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "1000000.00"), headers=headers
    ).json()
    post_snapshot(client, headers, snapshot("2026-11-26", "7.0850"))

    first = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)
    assert first.status_code == 201, first.text
    valuation = get_json(
        client, f"/v1/hedges/{hedge['id']}/valuation?as_of=2026-11-26", tenant.auditor
    )
    day_one = Decimal(valuation["npv"]["amount"])
    assert first.json()["npv_total"] == valuation["npv"]
    assert valuation["stored_npv"] == valuation["npv"]
    assert first.json()["count"] == 1
    # A short USD forward at 7.00 against a ~6.99 six-month outright: worth little, either sign.
    assert abs(day_one) < Decimal("50000")

    replay = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)
    assert replay.status_code == 200, replay.text
    assert replay.json()["id"] == first.json()["id"]
    balances = ledger_balances(client, headers, entity["id"])
    assert Decimal(balances.get("fx_result_unrealised", "0")) == -day_one

    post_snapshot(client, headers, snapshot("2026-11-27", "7.1850"))  # USD up: the short loses
    future = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-27"}, headers=headers)
    assert_problem(future, 422, "DATE_NOT_REACHED")  # not before the day comes
    clock.instant += timedelta(days=1)
    second = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-27"}, headers=headers)
    assert second.status_code == 201, second.text
    day_two = Decimal(second.json()["npv_total"]["amount"])
    assert day_two < day_one - Decimal("90000")
    balances = ledger_balances(client, headers, entity["id"])
    assert Decimal(balances["fx_result_unrealised"]) == -day_two
    assert Decimal(balances.get("derivative_liability", "0")) == min(day_two, Decimal(0))
    assert Decimal(balances.get("derivative_asset", "0")) == max(day_two, Decimal(0))

    earlier = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-20"}, headers=headers)
    assert_problem(earlier, 409, "CONFLICT")


def test_revaluation_without_market_data_is_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    response = client.post(
        "/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=tenant.treasurer
    )

    assert_problem(response, 422, "MARKET_DATA_MISSING")


def test_a_designated_hedge_books_to_the_hedge_reserve_and_reports_effectiveness(
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
    assert hedge["locked_rate"] is not None
    spots = [
        "7.0850",
        "7.1000",
        "7.0700",
        "7.1200",
        "7.0500",
        "7.0900",
        "7.1300",
        "7.0600",
        "7.1100",
        "7.0800",
    ]
    days = [
        f"2026-11-{26 + i:02d}" if 26 + i <= 30 else f"2026-12-{26 + i - 30:02d}"
        for i in range(len(spots))
    ]
    for day, spot in zip(days, spots, strict=True):
        if day != "2026-11-26":
            post_snapshot(client, headers, snapshot(day, spot))
        clock.instant = datetime.combine(date.fromisoformat(day), time(2), tzinfo=UTC)
        run = client.post("/v1/hedges/revaluations", json={"as_of": day}, headers=headers)
        assert run.status_code == 201, run.text

    result = get_json(client, f"/v1/hedges/{hedge['id']}/effectiveness", tenant.auditor)

    assert len(result["history"]) == len(days)
    # The hedge is the mirror of its hedged item (same notional, same date): near-perfect offset.
    assert result["regression"]["observations"] == len(days) - 1
    assert Decimal(result["regression"]["slope"]) == Decimal(-1).quantize(Decimal("1")) or (
        abs(Decimal(result["regression"]["slope"]) + 1) < Decimal("0.01")
    )
    assert Decimal(result["regression"]["r_squared"]) > Decimal("0.999")
    assert result["dollar_offset"]["effective"] is True
    assert result["effective"] is True
    # The ledger splits the value as hedge accounting does: the effective part in the reserve
    # (OCI), the ineffective part (the deal's value beyond its hedged item's) in profit or loss.
    balances = ledger_balances(client, headers, entity["id"])
    last = get_json(client, f"/v1/hedges/{hedge['id']}/valuation?as_of={days[-1]}", headers)
    report = get_json(
        client,
        f"/v1/hedge-accounting?entity_id={entity['id']}&from={days[0]}&to={days[-1]}",
        tenant.auditor,
    )
    [item] = report["items"]
    assert Decimal(item["closing_value"]) == Decimal(last["npv"]["amount"])
    assert Decimal(balances["hedge_reserve"]) == -Decimal(item["effective"])
    assert Decimal(balances["fx_result_unrealised"]) == -Decimal(item["ineffective"])
    assert Decimal(item["effective"]) + Decimal(item["ineffective"]) == Decimal(
        last["npv"]["amount"]
    )


def test_effectiveness_needs_a_designation(client: TestClient, tenant: TenantFixture) -> None:
    entity, _, exposure = exporter(client, tenant)
    hedge = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "10.00"), headers=tenant.treasurer
    ).json()

    response = client.get(f"/v1/hedges/{hedge['id']}/effectiveness", headers=tenant.treasurer)

    assert_problem(response, 422, "HEDGE_NOT_DESIGNATED")


def test_another_tenant_sees_no_hedge(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    entity, _, exposure = exporter(client, tenant)
    hedge = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "10.00"), headers=tenant.treasurer
    ).json()

    for path in (f"/v1/hedges/{hedge['id']}", f"/v1/exposures/{exposure['id']}"):
        assert_problem(client.get(path, headers=other_tenant.treasurer), 404, "NOT_FOUND")
    stolen = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "10.00"), headers=other_tenant.treasurer
    )
    assert_problem(stolen, 404, "NOT_FOUND")


def test_the_hedge_ratio_report_flags_buckets_outside_policy(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity, _, exposure = exporter(client, tenant)
    client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "300000.00"), headers=tenant.treasurer
    )
    [bucket] = get_json(client, "/v1/hedge-ratios", tenant.auditor)["items"]
    assert (bucket["month"], bucket["ratio"], bucket["within_policy"]) == (
        "2027-05",
        "0.3000",
        False,
    )
    assert (bucket["policy_min"], bucket["policy_max"]) == ("0.5", "1.0")

    patch = client.patch(
        "/v1/settings",
        json={"hedge_ratio_policy": {entity["id"]: {"min": "0.2", "max": "0.6"}}},
        headers=tenant.admin,
    )
    assert patch.status_code == 200, patch.text
    [bucket] = get_json(client, "/v1/hedge-ratios", tenant.auditor)["items"]
    assert bucket["within_policy"] is True


def test_a_knock_out_is_not_booked_as_a_hedge(client: TestClient, tenant: TenantFixture) -> None:
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "100000.00")
    body["instrument"] = {
        "type": "knock_out",
        "pair": "USDCNY",
        "option_type": "put",
        "direction": "buy",
        "notional": {"amount": "100000.00", "currency": "USD"},
        "strike": "7.00",
        "expiry_date": "2027-05-24",
        "barrier_type": "down_out",
        "barrier": "6.80",
    }

    response = client.post("/v1/hedges", json=body, headers=tenant.treasurer)

    assert_problem(response, 422, "HEDGE_EXPOSURE_MISMATCH")
    assert get_json(client, "/v1/hedges", tenant.treasurer)["items"] == []


def test_a_hedge_posted_again_with_its_idempotency_key_is_booked_once(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "600000.00")
    headers = {**tenant.treasurer, "Idempotency-Key": "hedge-ex-1-a"}

    first = client.post("/v1/hedges", json=body, headers=headers)
    again = client.post("/v1/hedges", json=body, headers=headers)
    other = client.post("/v1/hedges", json={**body, "trade_date": "2026-11-25"}, headers=headers)

    assert first.status_code == 201, first.text
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert_problem(other, 409, "IDEMPOTENCY_KEY_REUSED")
    shown = get_json(client, f"/v1/exposures/{exposure['id']}", tenant.treasurer)
    assert shown["hedged"]["amount"] == "600000.00"
