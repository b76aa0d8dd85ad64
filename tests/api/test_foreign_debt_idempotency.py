"""Invariant 4 for foreign debts: a draw or a repayment sent again with its Idempotency-Key
returns the original and writes nothing; the key with another request → 409 (SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity

DAY = "2026-11-23"


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def draw_body(amount: str = "1000000.00") -> dict[str, Any]:
    return {
        "lender": "HSBC Hong Kong",
        "currency": "CNY",
        "amount": amount,
        "drawdown_date": DAY,
        "maturity_date": "2028-11-23",
    }


def test_a_draw_sent_again_with_its_key_is_recorded_once(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer, net_assets=cny("500000000.00"))
    path = f"/v1/entities/{entity['id']}/foreign-debts"
    headers = {**tenant.treasurer, "Idempotency-Key": uuid.uuid4().hex}
    first = client.post(path, json=draw_body(), headers=headers)
    assert first.status_code == 201, first.text
    replay = client.post(path, json=draw_body(), headers=headers)
    assert replay.status_code == 201, replay.text
    assert replay.json() == first.json()
    other = client.post(path, json=draw_body("2000000.00"), headers=headers)
    assert_problem(other, 409, "IDEMPOTENCY_KEY_REUSED")
    other_entity = create_entity(client, tenant.treasurer, net_assets=cny("500000000.00"))
    elsewhere = client.post(
        f"/v1/entities/{other_entity['id']}/foreign-debts", json=draw_body(), headers=headers
    )
    assert_problem(elsewhere, 409, "IDEMPOTENCY_KEY_REUSED")
    assert [d["id"] for d in get_json(client, path, tenant.auditor)["items"]] == [
        first.json()["id"]
    ]


def test_a_repayment_sent_again_with_its_key_is_repaid_once(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer, net_assets=cny("500000000.00"))
    path = f"/v1/entities/{entity['id']}/foreign-debts"
    debt = client.post(path, json=draw_body(), headers=tenant.treasurer)
    assert debt.status_code == 201, debt.text
    repayments = f"{path}/{debt.json()['id']}/repayments"
    headers = {**tenant.treasurer, "Idempotency-Key": uuid.uuid4().hex}
    body = {"amount": cny("400000.00"), "date": "2026-11-24"}
    first = client.post(repayments, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["outstanding"]["amount"] == "600000.00"
    replay = client.post(repayments, json=body, headers=headers)
    assert replay.status_code == 201, replay.text
    assert replay.json() == first.json()
    other = client.post(repayments, json={**body, "amount": cny("1.00")}, headers=headers)
    assert_problem(other, 409, "IDEMPOTENCY_KEY_REUSED")
    (found,) = get_json(client, path, tenant.auditor)["items"]
    assert found["outstanding"]["amount"] == "600000.00"
