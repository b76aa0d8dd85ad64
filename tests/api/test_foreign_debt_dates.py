"""The full-coverage cap over a contract's whole life, and its term by the calendar (issue 12
items 2 and 4; regulation.md §2.2, §2.8 rules 2 and 6)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity

M = "000000.00"  # amounts below are CNY millions


def draw(
    client: TestClient,
    headers: dict[str, str],
    entity_id: str,
    amount: str,
    drawdown: str,
    maturity: str,
    currency: str = "CNY",
) -> Any:
    body = {
        "lender": "HSBC Hong Kong",
        "currency": currency,
        "amount": amount,
        "drawdown_date": drawdown,
        "maturity_date": maturity,
    }
    return client.post(f"/v1/entities/{entity_id}/foreign-debts", json=body, headers=headers)


def used(client: TestClient, headers: dict[str, str], entity_id: str, on: str) -> str:
    path = f"/v1/entities/{entity_id}/cross-border-financing?as_of={on}"
    return str(get_json(client, path, headers)["used"]["amount"])


def entity_with_cap_350m(client: TestClient, headers: dict[str, str]) -> str:
    """Net assets 100m: cap 100 × 2 × 1.75 = 350m."""
    entity = create_entity(client, headers, net_assets={"amount": "100" + M, "currency": "CNY"})
    return str(entity["id"])


def test_a_draw_before_a_recorded_future_drawdown_must_fit_on_that_date_too(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity = entity_with_cap_350m(client, headers)
    later = draw(client, headers, entity, "200" + M, "2026-12-15", "2027-06-15")
    assert later.status_code == 201, later.text  # 300m risk-weighted from 12-15
    # 100m for six months from 12-01 weighs 150m: alone on 12-01, 450m on 12-15
    over = draw(client, headers, entity, "100" + M, "2026-12-01", "2027-06-01")
    detail = assert_problem(over, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")["detail"]
    assert "2026-12-15" in detail
    assert used(client, headers, entity, "2026-12-15") == "300" + M
    # 50m of headroom on 12-15: 33,333,333.33 × 1.5 fits, a fen more does not
    one_fen_over = draw(client, headers, entity, "33333333.34", "2026-12-01", "2027-06-01")
    assert_problem(one_fen_over, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")
    fits = draw(client, headers, entity, "33333333.33", "2026-12-01", "2027-06-01")
    assert fits.status_code == 201, fits.text
    assert used(client, headers, entity, "2026-12-15") == "350000000.00"  # 349,999,999.995


def test_a_contract_repaid_at_maturity_before_the_future_drawdown_fits(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity = entity_with_cap_350m(client, headers)
    assert draw(client, headers, entity, "200" + M, "2026-12-15", "2027-06-15").status_code == 201
    # matures on 12-16: still outstanding on 12-15 → over; matures on 12-15 → gone that day
    still_there = draw(client, headers, entity, "100" + M, "2026-12-01", "2026-12-16")
    assert_problem(still_there, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")
    gone = draw(client, headers, entity, "100" + M, "2026-12-01", "2026-12-15")
    assert gone.status_code == 201, gone.text
    assert used(client, headers, entity, "2026-12-14") == "150" + M
    assert used(client, headers, entity, "2026-12-15") == "300" + M


def test_recorded_repayments_restore_the_headroom_from_their_date(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity = entity_with_cap_350m(client, headers)
    first = draw(client, headers, entity, "120" + M, "2026-11-23", "2027-05-23")
    assert first.status_code == 201, first.text  # 180m
    refused = draw(client, headers, entity, "200" + M, "2026-12-15", "2027-06-15")
    assert_problem(refused, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")  # 480m on 12-15
    repaid = client.post(
        f"/v1/entities/{entity}/foreign-debts/{first.json()['id']}/repayments",
        json={"amount": {"amount": "120" + M, "currency": "CNY"}, "date": "2026-12-10"},
        headers=headers,
    )
    assert repaid.status_code == 201, repaid.text
    assert draw(client, headers, entity, "200" + M, "2026-12-15", "2027-06-15").status_code == 201
    # 30m from 12-01 (45m): 225m until the repayment, 345m from 12-15
    assert draw(client, headers, entity, "30" + M, "2026-12-01", "2027-06-01").status_code == 201
    assert used(client, headers, entity, "2026-12-09") == "225" + M
    assert used(client, headers, entity, "2026-12-10") == "45" + M
    assert used(client, headers, entity, "2026-12-15") == "345" + M


@pytest.mark.parametrize(
    ("drawdown", "maturity", "weighed"),
    [
        ("2026-11-23", "2027-11-23", "150.00"),  # 365 days, exactly one year: short
        ("2026-11-23", "2027-11-24", "100.00"),  # 366 days: long
        ("2027-03-01", "2028-03-01", "150.00"),  # 366 days spanning 29 February: one year
        ("2027-03-01", "2028-03-02", "100.00"),  # a year and a day
        ("2028-02-29", "2029-02-28", "150.00"),  # one year from 29 February
        ("2028-02-29", "2029-03-01", "100.00"),
    ],
)
def test_one_year_or_less_is_counted_by_the_calendar(
    client: TestClient, tenant: TenantFixture, drawdown: str, maturity: str, weighed: str
) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers, net_assets={"amount": "1000.00", "currency": "CNY"})
    response = draw(client, headers, entity["id"], "100.00", drawdown, maturity)
    assert response.status_code == 201, response.text
    assert used(client, headers, entity["id"], drawdown) == weighed
