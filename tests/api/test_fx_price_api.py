"""`POST /v1/fx/price`: the inline flat market, stored snapshots, the reserve breakdown, errors."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem
from tests.api.test_hedging_api import SNAPSHOT, post_snapshot
from tests.support import TenantFixture

Json = dict[str, Any]
INLINE: Json = {
    "spot": "7.18",
    "domestic_rate": "0.015",
    "foreign_rate": "0.043",
    "volatility": "0.05",
}


def forward(direction: str = "buy", **fields: Any) -> Json:
    return {
        "type": "forward",
        "pair": "USDCNY",
        "direction": direction,
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "strike": "7.0000",
        "delivery_date": "2026-11-26",
        **fields,
    }


def price(client: TestClient, tenant: TenantFixture, body: Json) -> Any:
    return client.post("/v1/fx/price", json=body, headers=tenant.auditor)


def test_an_inline_forward_is_priced_by_interest_parity(
    client: TestClient, tenant: TenantFixture
) -> None:
    response = price(
        client, tenant, {"as_of": "2025-11-26", "market": INLINE, "instrument": forward()}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    outright = 7.18 * math.exp((0.015 - 0.043) * 1.0)
    assert float(body["forward_rate"]) == pytest.approx(outright, abs=1e-10)
    npv = 1_000_000 * (outright - 7.0) * math.exp(-0.015)
    assert body["npv"]["currency"] == "CNY"
    assert Decimal(body["npv"]["amount"]) == Decimal(repr(npv)).quantize(Decimal("0.01"))
    assert body["greeks"] is None


def test_a_clients_forward_purchase_shows_the_reserve_cost_in_force(
    client: TestClient, tenant: TenantFixture
) -> None:
    # 20 % from 2022-09-28, 0 from 2026-03-02 (seeded parameter fx.reserve_ratio_fwd_sale).
    before = price(
        client, tenant, {"as_of": "2025-11-26", "market": INLINE, "instrument": forward()}
    ).json()
    after = price(
        client,
        tenant,
        {
            "as_of": "2026-05-26",
            "market": INLINE,
            "instrument": forward(delivery_date="2027-05-26"),
        },
    ).json()
    sale = price(
        client,
        tenant,
        {"as_of": "2025-11-26", "market": INLINE, "instrument": forward("sell")},
    ).json()

    outright = Decimal(before["forward_rate"])
    expected = (Decimal(1_000_000) * outright * Decimal("0.20") * Decimal("0.015")).quantize(
        Decimal("0.01")
    )
    assert before["breakdown"]["reserve_ratio"] == "0.20"
    assert abs(Decimal(before["breakdown"]["reserve_cost"]) - expected) <= Decimal("0.01")
    assert after["breakdown"]["reserve_ratio"] == "0"
    assert after["breakdown"]["reserve_cost"] == "0.00"
    assert "reserve_cost" not in sale["breakdown"]


def test_an_option_returns_the_whole_positions_greeks(
    client: TestClient, tenant: TenantFixture
) -> None:
    option = {
        "type": "option",
        "pair": "USDCNY",
        "option_type": "call",
        "direction": "buy",
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "strike": "7.00",
        "expiry_date": "2026-11-26",
    }
    unit = price(
        client,
        tenant,
        {
            "as_of": "2025-11-26",
            "market": INLINE,
            "instrument": {**option, "notional": {"amount": "1.00", "currency": "USD"}},
        },
    ).json()
    whole = price(client, tenant, {"as_of": "2025-11-26", "market": INLINE, "instrument": option})
    american = price(
        client,
        tenant,
        {"as_of": "2025-11-26", "market": INLINE, "instrument": {**option, "style": "american"}},
    )

    assert whole.status_code == 200, whole.text
    greeks = whole.json()["greeks"]
    names = {"delta", "gamma", "vega", "theta", "rho_domestic", "rho_foreign"}
    assert set(greeks) == names | {"units"}
    assert set(greeks["units"]) == names
    assert greeks["units"]["rho_foreign"] == "CNY per 1.00 (100%) rise of the USD rate"
    assert Decimal(greeks["delta"]) == pytest.approx(Decimal(unit["greeks"]["delta"]) * 1_000_000)
    assert Decimal(unit["npv_exact"]).quantize(Decimal("0.00001")) == Decimal("0.12855")
    assert american.status_code == 200, american.text
    assert Decimal(american.json()["npv"]["amount"]) > Decimal(whole.json()["npv"]["amount"])


def test_a_snapshot_prices_with_spot_lag_and_smile(
    client: TestClient, tenant: TenantFixture
) -> None:
    post_snapshot(client, tenant.treasurer, SNAPSHOT)
    body = {
        "as_of": "2026-11-26",
        "market": {"snapshot": "2026-11-26"},
        "instrument": {
            "type": "option",
            "pair": "USDCNY",
            "option_type": "put",
            "direction": "buy",
            "notional": {"amount": "1000000.00", "currency": "USD"},
            "strike": "7.00",
            "expiry_date": "2027-05-26",
        },
    }

    response = price(client, tenant, body)
    missing = price(client, tenant, {**body, "market": {"snapshot": "2026-11-20"}})

    assert response.status_code == 200, response.text
    # USD/CNY traded Thu 2026-11-26 settles on Mon 2026-11-30 (T+2 China days).
    assert response.json()["breakdown"]["premium_date"] == "2026-11-30"
    assert Decimal(response.json()["npv"]["amount"]) > 0
    assert_problem(missing, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"instrument": forward(delivery_date="2025-11-26")}, "INSTRUMENT_EXPIRED"),
        ({"instrument": forward(strike=7.0)}, "VALIDATION_ERROR"),
        (
            {"instrument": forward(notional={"amount": "1000000.00", "currency": "CNY"})},
            "VALIDATION_ERROR",
        ),
        (
            {"instrument": forward(notional={"amount": "1.001", "currency": "USD"})},
            "VALIDATION_ERROR",
        ),
        ({"market": {**INLINE, "spot": "-7"}}, "VALIDATION_ERROR"),
        ({"instrument": {**forward(), "type": "barrier"}}, "VALIDATION_ERROR"),
        # Beyond QuantLib's dates (1901-2199): refused, not a 500.
        ({"instrument": forward(delivery_date="2200-01-02")}, "VALIDATION_ERROR"),
    ],
)
def test_bad_requests_are_problems(
    client: TestClient, tenant: TenantFixture, change: Json, code: str
) -> None:
    body = {"as_of": "2025-11-26", "market": INLINE, "instrument": forward(), **change}

    assert_problem(price(client, tenant, body), 422, code)


def test_pricing_needs_a_token(client: TestClient) -> None:
    response = client.post(
        "/v1/fx/price", json={"as_of": "2025-11-26", "market": INLINE, "instrument": forward()}
    )

    assert_problem(response, 401, "UNAUTHENTICATED")


def test_a_knock_out_is_priced_but_not_booked(client: TestClient, tenant: TenantFixture) -> None:
    instrument = {
        "type": "knock_out",
        "pair": "USDCNY",
        "option_type": "put",
        "direction": "buy",
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "strike": "7.10",
        "expiry_date": "2026-11-26",
        "barrier_type": "down_out",
        "barrier": "6.80",
    }

    response = price(
        client, tenant, {"as_of": "2025-11-26", "market": INLINE, "instrument": instrument}
    )

    assert response.status_code == 200, response.text
    assert Decimal(response.json()["npv"]["amount"]) > 0
    assert response.json()["greeks"] is not None
