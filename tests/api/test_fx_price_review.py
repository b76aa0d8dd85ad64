"""An inline market that gives an instrument no finite price is a 422, never a 500: QuantLib's
errors, Decimal overflow and log(0) of an underflowed discount factor (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem
from tests.support import TenantFixture

MARKET = {"spot": "7.1", "domestic_rate": "0.02", "foreign_rate": "0.04", "volatility": "0.05"}
FORWARD = {
    "type": "forward",
    "pair": "USDCNY",
    "direction": "buy",
    "notional": {"amount": "1000.00", "currency": "USD"},
    "strike": "7.0",
    "delivery_date": "2027-06-30",
}
AMERICAN = {
    "type": "option",
    "pair": "USDCNY",
    "option_type": "call",
    "direction": "buy",
    "notional": {"amount": "1000.00", "currency": "USD"},
    "strike": "7.0",
    "expiry_date": "2027-06-30",
    "style": "american",
}


@pytest.mark.parametrize(
    ("market", "instrument"),
    [
        ({**MARKET, "volatility": "0"}, AMERICAN),
        ({**MARKET, "domestic_rate": "100"}, FORWARD),
        ({**MARKET, "foreign_rate": "-100"}, AMERICAN),
        ({**MARKET, "domestic_rate": "100"}, {**FORWARD, "delivery_date": "2199-12-31"}),
        ({**MARKET, "spot": "1" + "0" * 35}, FORWARD),
    ],
)
def test_a_market_without_a_finite_price_is_a_validation_error(
    client: TestClient, tenant: TenantFixture, market: dict[str, str], instrument: dict[str, Any]
) -> None:
    response = client.post(
        "/v1/fx/price",
        json={"as_of": "2026-11-26", "market": market, "instrument": instrument},
        headers=tenant.auditor,
    )
    assert_problem(response, 422, "VALIDATION_ERROR")
