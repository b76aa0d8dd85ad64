"""Business refusals answer with their own codes, not VALIDATION_ERROR (issue 15 item 8): the
request is well formed, the business says no, and nothing is written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import exporter, forward_hedge
from tests.api.test_pool_api import create_pool, make_group
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.clock import FixedClock

Json = dict[str, Any]


def test_a_rate_between_accounts_of_one_currency_is_not_applicable(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"])
    creditor = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, debtor["id"], "1000.00")
    rated = transfer_body(debtor["id"], creditor["id"], "100.00", fx_rate="1.0")
    quoted = transfer_body(
        debtor["id"], creditor["id"], "100.00", fx_quote={"pair": "USDCNY", "rate": "7.1"}
    )

    for body in (rated, quoted):
        response = post_transfer(client, tenant.treasurer, body)
        assert_problem(response, 422, "FX_RATE_NOT_APPLICABLE")
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "1000.00"
    assert balance(client, tenant.treasurer, creditor["id"])["balance"] == "0.00"


def test_a_pool_refuses_accounts_that_cannot_play_their_part(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    usd_member = open_account(client, tenant.treasurer, group.onshore["id"], currency="USD")
    current_as_master = create_pool(client, tenant, group, master_account_id=group.host_account)
    usd_in_cny_pool = create_pool(
        client, tenant, group, members=[{"account_id": usd_member["id"], "rule": "zero_balance"}]
    )
    usd_pool = create_pool(client, tenant, group, currency="USD")

    assert_problem(current_as_master, 422, "ACCOUNT_NOT_ELIGIBLE")
    assert_problem(usd_in_cny_pool, 422, "ACCOUNT_CURRENCY_MISMATCH")
    assert_problem(usd_pool, 422, "ACCOUNT_CURRENCY_MISMATCH")
    assert get_json(client, "/v1/pools", tenant.auditor)["items"] == []


def test_a_hedge_without_an_account_to_settle_in_is_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)  # a CNY account, no USD one
    gross = forward_hedge(entity, exposure, "1000.00")
    gross["instrument"]["settlement"] = "gross"
    bare = create_entity(client, headers)
    bare_exposure = client.post(
        "/v1/exposures",
        json={
            "entity_id": bare["id"],
            "pair": "USDCNY",
            "direction": "receive",
            "amount": {"amount": "1000.00", "currency": "USD"},
            "expected_date": "2027-05-26",
        },
        headers=headers,
    )
    assert bare_exposure.status_code == 201, bare_exposure.text
    net = forward_hedge(bare, bare_exposure.json(), "1000.00")
    net["instrument"]["settlement"] = "net"

    for body in (gross, net):
        response = client.post("/v1/hedges", json=body, headers=headers)
        assert_problem(response, 422, "SETTLEMENT_ACCOUNT_MISSING")
    assert get_json(client, "/v1/hedges", headers)["items"] == []


def test_a_close_out_outside_the_deals_life_is_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    booked = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "1000.00"), headers=headers
    )
    assert booked.status_code == 201, booked.text
    path = f"/v1/hedges/{booked.json()['id']}/close"

    for day in ("2026-11-25", "2027-05-26"):
        response = client.post(
            path,
            json={"date": day, "change_of_underlying_ref": "AMEND-1"},
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert_problem(response, 422, "CLOSE_OUT_DATE_OUT_OF_RANGE")
    assert get_json(client, f"/v1/hedges/{booked.json()['id']}", headers)["status"] == "live"


def test_a_pool_member_target_in_another_currency_is_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    path = f"/v1/pools/{pool['id']}/members/{group.onshore_account}"
    usd_target = {"rule": "target_balance", "target": {"amount": "100.00", "currency": "USD"}}

    refused = client.patch(path, json=usd_target, headers=tenant.treasurer)

    assert_problem(refused, 422, "CURRENCY_MISMATCH")
    member = next(
        m
        for m in get_json(client, f"/v1/pools/{pool['id']}", tenant.auditor)["members"]
        if m["account_id"] == group.onshore_account
    )
    assert member["rule"] == "zero_balance"


def test_interest_of_a_pool_without_rates_is_refused(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group, interest=None).json()
    clock.instant = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    response = client.post(
        f"/v1/pools/{pool['id']}/interest",
        json={"period_end": "2026-12-01"},
        headers=tenant.treasurer,
    )

    assert_problem(response, 422, "INTEREST_RATES_MISSING")
