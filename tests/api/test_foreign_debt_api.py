"""Foreign debts and the full-coverage cap over HTTP: regulation.md §2.7 example 1 and §2.8."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity

DAY = "2026-11-23"


def set_usd_rate(client: TestClient, operator: dict[str, str], day: str, rate: str) -> None:
    body = {"date": day, "pair": "USDCNY", "rate": rate, "source": "test"}
    response = client.post("/v1/reference-rates", json=body, headers=operator)
    assert response.status_code == 201, response.text


def draw(
    client: TestClient,
    headers: dict[str, str],
    entity_id: str,
    amount: str,
    currency: str,
    maturity: str,
    **fields: Any,
) -> Any:
    body = {
        "lender": "HSBC Hong Kong",
        "currency": currency,
        "amount": amount,
        "drawdown_date": fields.pop("drawdown_date", DAY),
        "maturity_date": maturity,
        **fields,
    }
    return client.post(f"/v1/entities/{entity_id}/foreign-debts", json=body, headers=headers)


def financing(client: TestClient, headers: dict[str, str], entity_id: str, on: str = DAY) -> Any:
    return get_json(client, f"/v1/entities/{entity_id}/cross-border-financing?as_of={on}", headers)


def test_worked_example_1(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    headers = tenant.treasurer
    set_usd_rate(client, operator_headers, DAY, "7.1")
    entity = create_entity(
        client, headers, net_assets={"amount": "500000000.00", "currency": "CNY"}
    )
    status = financing(client, headers, entity["id"])
    assert (status["cap"]["amount"], status["used"]["amount"]) == ("1750000000.00", "0.00")

    existing = draw(client, headers, entity["id"], "50000000.00", "USD", "2029-11-23")
    assert existing.status_code == 201, existing.text  # CNY 355m, three years: 532.5m
    assert financing(client, headers, entity["id"])["used"]["amount"] == "532500000.00"
    rmb = draw(client, headers, entity["id"], "400000000.00", "CNY", "2027-05-23")
    assert rmb.status_code == 201, rmb.text
    assert financing(client, headers, entity["id"])["used"]["amount"] == "1132500000.00"

    over = draw(client, headers, entity["id"], "98591549.30", "USD", "2027-05-23")  # ≈ 700m
    assert_problem(over, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")
    one_fen_over = draw(client, headers, entity["id"], "43485915.50", "USD", "2027-05-23")
    assert_problem(one_fen_over, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")
    largest = draw(client, headers, entity["id"], "43485915.49", "USD", "2027-05-23")  # ≈ 308.75m
    assert largest.status_code == 201, largest.text
    assert financing(client, headers, entity["id"])["headroom"]["amount"] == "0.04"

    # a repayment restores the headroom at once
    debt_id = rmb.json()["id"]
    repaid = client.post(
        f"/v1/entities/{entity['id']}/foreign-debts/{debt_id}/repayments",
        json={"amount": {"amount": "100000000.00", "currency": "CNY"}, "date": DAY},
        headers=headers,
    )
    assert repaid.status_code == 201, repaid.text
    assert repaid.json()["outstanding"]["amount"] == "300000000.00"
    assert financing(client, headers, entity["id"])["headroom"]["amount"] == "150000000.04"
    too_much = client.post(
        f"/v1/entities/{entity['id']}/foreign-debts/{debt_id}/repayments",
        json={"amount": {"amount": "300000000.01", "currency": "CNY"}, "date": DAY},
        headers=headers,
    )
    assert_problem(too_much, 422, "REPAYMENT_MISMATCH")


def test_rule_1_the_cap_follows_mu_by_date(client: TestClient, tenant: TenantFixture) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers, net_assets={"amount": "100.00", "currency": "CNY"})
    assert financing(client, headers, entity["id"], "2025-01-13")["cap"]["amount"] == "350.00"
    assert financing(client, headers, entity["id"], "2025-01-12")["cap"]["amount"] == "300.00"


def test_rules_2_4_5_tenor_and_exclusions(client: TestClient, tenant: TenantFixture) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers, net_assets={"amount": "1000.00", "currency": "CNY"})
    assert draw(client, headers, entity["id"], "100.00", "CNY", "2027-11-23").status_code == 201
    assert financing(client, headers, entity["id"])["used"]["amount"] == "150.00"  # 365 days
    assert draw(client, headers, entity["id"], "100.00", "CNY", "2027-11-24").status_code == 201
    assert financing(client, headers, entity["id"])["used"]["amount"] == "250.00"  # 366 days
    for kind in ("trade_credit", "pool_liability"):
        response = draw(client, headers, entity["id"], "9000.00", "CNY", "2027-01-01", kind=kind)
        assert response.status_code == 201, response.text
    assert financing(client, headers, entity["id"])["used"]["amount"] == "250.00"
    listed = get_json(client, f"/v1/entities/{entity['id']}/foreign-debts", headers)["items"]
    assert len(listed) == 4


def test_rule_7_investment_gap_mode_is_locked(client: TestClient, tenant: TenantFixture) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers, cross_border_debt_mode="investment_gap")
    response = client.patch(
        f"/v1/entities/{entity['id']}",
        json={"cross_border_debt_mode": "macro_prudential"},
        headers=headers,
    )
    assert_problem(response, 422, "DEBT_MODE_LOCKED")


def test_rule_8_young_entity_without_audited_net_assets(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers, established_on="2026-06-01")
    response = draw(client, headers, entity["id"], "1.00", "CNY", "2027-06-01")
    assert (
        "rule 8" in assert_problem(response, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")["detail"]
    )


def test_example_2_and_rule_9_facilitation_quota_while_the_certificate_is_valid(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    headers = tenant.treasurer
    set_usd_rate(client, operator_headers, "2026-11-24", "7.1")
    entity = create_entity(
        client,
        headers,
        net_assets={"amount": "10000000.00", "currency": "CNY"},
        facilitation_certificate={"kind": "tech_sme", "valid_until": "2026-11-24"},
    )
    status = financing(client, headers, entity["id"], "2026-11-24")
    assert status["macro_cap"]["amount"] == "35000000.00"
    assert status["facilitation_quota"]["amount"] == "71000000.00"
    assert status["cap"]["amount"] == "71000000.00"
    # 40m for three years weighs 40m: within 71m, beyond 35m
    ok = draw(
        client,
        headers,
        entity["id"],
        "40000000.00",
        "CNY",
        "2029-11-24",
        drawdown_date="2026-11-24",
    )
    assert ok.status_code == 201, ok.text
    expired = financing(client, headers, entity["id"], "2026-11-25")
    assert expired["cap"]["amount"] == "35000000.00"


def test_another_tenants_entity_is_not_found(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    response = draw(client, other_tenant.treasurer, entity["id"], "1.00", "CNY", "2027-01-01")
    assert_problem(response, 404, "NOT_FOUND")
