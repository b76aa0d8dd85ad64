"""Hedges the book could never value are refused when booked: each would stop every later
revaluation of the tenant's book (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import SNAPSHOT, exporter, forward_hedge, post_snapshot
from tests.support import TenantFixture


def test_a_hedge_the_book_could_never_value_is_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    """Booked, it would stop every later revaluation of the tenant's book (a 422 each night)."""
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    far_forward = forward_hedge(entity, exposure, "1000.00")
    far_forward["instrument"]["delivery_date"] = "9999-12-31"
    far_option = forward_hedge(entity, exposure, "1000.00")
    far_option["instrument"] = {
        "type": "option",
        "pair": "USDCNY",
        "option_type": "put",
        "direction": "buy",
        "notional": {"amount": "1000.00", "currency": "USD"},
        "strike": "7.0000",
        "expiry_date": "2199-12-31",
    }
    far_exposure = client.post(
        "/v1/exposures",
        json={
            **{key: exposure[key] for key in ("entity_id", "pair", "direction", "amount")},
            "expected_date": "9999-12-31",
        },
        headers=headers,
    )
    assert far_exposure.status_code == 201, far_exposure.text
    designated = forward_hedge(entity, far_exposure.json(), "1000.00", designation="cash_flow")
    for body in (far_forward, far_option, designated):
        response = client.post("/v1/hedges", json=body, headers=headers)
        assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/hedges", tenant.auditor)["items"] == []
    post_snapshot(client, headers, SNAPSHOT)
    revalued = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)
    assert revalued.status_code == 201, revalued.text


def test_an_option_too_long_for_the_smile_is_a_validation_error_not_a_500(
    client: TestClient, tenant: TenantFixture
) -> None:
    """Past ~35 years the base's discount factor falls below 0.25: no 25-delta strike exists."""
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    post_snapshot(client, headers, SNAPSHOT)
    body = forward_hedge(entity, exposure, "1000.00")
    body["instrument"] = {
        "type": "option",
        "pair": "USDCNY",
        "option_type": "put",
        "direction": "buy",
        "notional": {"amount": "1000.00", "currency": "USD"},
        "strike": "7.0000",
        "expiry_date": "2150-06-30",
    }
    booked = client.post("/v1/hedges", json=body, headers=headers)
    assert booked.status_code == 201, booked.text
    valuation = client.get(
        f"/v1/hedges/{booked.json()['id']}/valuation?as_of=2026-11-26", headers=headers
    )
    assert_problem(valuation, 422, "VALIDATION_ERROR")
    revalued = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)
    assert revalued.status_code == 201, revalued.text  # set aside, never a 500 (issue #11 §2)
    [set_aside] = revalued.json()["set_aside"]
    assert set_aside["hedge_id"] == booked.json()["id"]
    assert set_aside["reason"].startswith("VALIDATION_ERROR")
    priced = client.post(
        "/v1/fx/price",
        json={
            "as_of": "2026-11-26",
            "market": {"snapshot": "2026-11-26"},
            "instrument": body["instrument"],
        },
        headers=headers,
    )
    assert_problem(priced, 422, "VALIDATION_ERROR")
