"""Trade finance from offshore banks in the full-coverage balance (issue 12 item 11;
regulation.md §2.4): RMB trade finance is excluded, FX trade finance counts — for a financial
institution at cbf.fi_fx_trade_finance_weight (20 %) of its weight."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.support import TenantFixture, create_entity

DAY = "2026-11-23"


@pytest.mark.parametrize(
    ("kind", "currency", "amount", "used"),
    [
        ("enterprise", "CNY", "9000.00", "0.00"),  # RMB trade finance: excluded
        ("enterprise", "USD", "100.00", "1420.00"),  # USD 100 × 7.1 × (1.5 + 0.5)
        ("financial_institution", "USD", "100.00", "284.00"),  # the same at 20 %
    ],
)
def test_trade_finance_weighs_by_currency_and_lender(
    client: TestClient,
    tenant: TenantFixture,
    operator_headers: dict[str, str],
    kind: str,
    currency: str,
    amount: str,
    used: str,
) -> None:
    rate = {"date": DAY, "pair": "USDCNY", "rate": "7.1", "source": "test"}
    assert (
        client.post("/v1/reference-rates", json=rate, headers=operator_headers).status_code == 201
    )
    entity = create_entity(
        client, tenant.treasurer, kind=kind, net_assets={"amount": "10000.00", "currency": "CNY"}
    )
    body = {
        "lender": "Standard Chartered HK",
        "currency": currency,
        "amount": amount,
        "drawdown_date": DAY,
        "maturity_date": "2027-05-23",
        "kind": "trade_finance",
    }
    path = f"/v1/entities/{entity['id']}/foreign-debts"
    assert client.post(path, json=body, headers=tenant.treasurer).status_code == 201
    status = get_json(
        client, f"/v1/entities/{entity['id']}/cross-border-financing?as_of={DAY}", tenant.treasurer
    )
    assert status["used"]["amount"] == used
