"""Pools and hedges over HTTP against hostile input: what is refused is refused with a catalogue
code (never a 500) and writes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import exporter, forward_hedge
from tests.api.test_pool_api import create_pool, make_group
from tests.support import TenantFixture

# Longer than the 64 characters a stored rate or ratio may have (PostgreSQL refused it: a 500).
LONG_DECIMAL = "0." + "3" * 80


def test_an_overlong_rate_or_ratio_of_a_pool_is_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    created = create_pool(client, tenant, group)
    assert created.status_code == 201, created.text
    pool = created.json()
    path = f"/v1/pools/{pool['id']}"
    rates = {"credit_rate": LONG_DECIMAL, "debit_rate": "0.02"}
    refused = [
        client.post(f"{path}/interest-rates", json=rates, headers=tenant.treasurer),
        client.patch(
            f"{path}/members/{group.onshore_account}",
            json={"foreign_debt_ratio": LONG_DECIMAL},
            headers=tenant.treasurer,
        ),
        create_pool(client, tenant, make_group(client, tenant), interest=rates),
    ]
    for response in refused:
        assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, path, tenant.auditor) == pool
    assert len(get_json(client, "/v1/pools", tenant.auditor)["items"]) == 1


def test_a_hedge_with_an_overlong_strike_is_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "1000.00", designation="cash_flow")
    body["instrument"]["strike"] = "7." + "1" * 80
    response = client.post("/v1/hedges", json=body, headers=tenant.treasurer)
    assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/hedges", tenant.auditor)["items"] == []
