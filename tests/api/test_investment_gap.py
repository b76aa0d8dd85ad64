"""投注差 (issue 12 item 6; regulation.md §2.5): an FIE in investment_gap mode borrows up to its
total investment less its registered capital — both on the entity record — with mid/long-term
drawdowns counted cumulatively and short-term debt by balance."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity

DAY = "2026-11-24"


def cny(amount: str, currency: str = "CNY") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def draw(
    client: TestClient, headers: dict[str, str], entity_id: str, amount: str, maturity: str
) -> Any:
    body = {
        "lender": "Parent GmbH",
        "currency": "CNY",
        "amount": amount,
        "drawdown_date": DAY,
        "maturity_date": maturity,
    }
    return client.post(f"/v1/entities/{entity_id}/foreign-debts", json=body, headers=headers)


def test_the_gap_is_total_investment_less_registered_capital(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity = create_entity(
        client,
        headers,
        cross_border_debt_mode="investment_gap",
        total_investment=cny("100000000.00"),
        registered_capital=cny("60000000.00"),
        owners_equity=cny("90000000.00"),  # not the registered capital
    )
    assert entity["registered_capital"] == cny("60000000.00")
    path = f"/v1/entities/{entity['id']}/cross-border-financing?as_of={DAY}"
    assert get_json(client, path, headers)["cap"]["amount"] == "40000000.00"
    long_term = draw(client, headers, entity["id"], "30000000.00", "2029-11-24")
    assert long_term.status_code == 201, long_term.text
    over = draw(client, headers, entity["id"], "10000000.01", "2027-05-24")
    assert_problem(over, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")
    fits = draw(client, headers, entity["id"], "10000000.00", "2027-05-24")
    assert fits.status_code == 201, fits.text
    assert get_json(client, path, headers)["headroom"]["amount"] == "0.00"


def test_a_gap_in_usd_counts_at_the_days_rate(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    rate = {"date": DAY, "pair": "USDCNY", "rate": "7.1", "source": "test"}
    assert (
        client.post("/v1/reference-rates", json=rate, headers=operator_headers).status_code == 201
    )
    entity = create_entity(
        client,
        tenant.treasurer,
        cross_border_debt_mode="investment_gap",
        total_investment=cny("30000000.00", "USD"),
        registered_capital=cny("10000000.00", "USD"),
    )
    path = f"/v1/entities/{entity['id']}/cross-border-financing?as_of={DAY}"
    assert get_json(client, path, tenant.treasurer)["cap"]["amount"] == "142000000.00"


def test_registered_capital_and_total_investment_share_a_currency(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer, total_investment=cny("30000000.00", "USD"))
    response = client.patch(
        f"/v1/entities/{entity['id']}",
        json={"registered_capital": cny("10000000.00", "EUR")},
        headers=tenant.treasurer,
    )
    assert_problem(response, 422, "CURRENCY_MISMATCH")
