"""Issue #11 §2 and §10a at the door: strikes, rates, volatilities, spots, swap points and
reference rates outside any range a treasurer meets are 422 (one absurd strike booked used to stop
every later revaluation of the tenant), and an option priced without a volatility is 422
MARKET_DATA_MISSING (it answered 200 with an NPV of 0.00 and a delta of 989,811).
SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import SNAPSHOT, exporter, forward_hedge, post_snapshot
from tests.support import TenantFixture

Json = dict[str, Any]

ABSURD_RATES = [
    "1E+30",
    "1E+400",
    "1234567890123456789012345678901234567890",  # 40 digits
    "7.00000000000000000000000000000000000001",  # 39 significant digits
    "1E-40",
    "0E+5",
    "-0",
    "NaN",
    "Infinity",
    "10000000.01",
]

INLINE: Json = {
    "spot": "7.18",
    "domestic_rate": "0.015",
    "foreign_rate": "0.043",
    "volatility": "0.05",
}

OPTION: Json = {
    "type": "option",
    "pair": "USDCNY",
    "option_type": "call",
    "direction": "buy",
    "notional": {"amount": "1000000.00", "currency": "USD"},
    "strike": "7.00",
    "expiry_date": "2027-05-26",
}


def price(client: TestClient, tenant: TenantFixture, market: Json, instrument: Json) -> Any:
    return client.post(
        "/v1/fx/price",
        json={"as_of": "2026-11-26", "market": market, "instrument": instrument},
        headers=tenant.auditor,
    )


@pytest.mark.parametrize("strike", ABSURD_RATES)
def test_a_hedge_with_an_absurd_strike_is_refused_and_the_book_still_revalues(
    client: TestClient, tenant: TenantFixture, strike: str
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "1000.00")
    body["instrument"]["strike"] = strike

    response = client.post("/v1/hedges", json=body, headers=headers)

    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert "strike" in str(problem)
    assert get_json(client, "/v1/hedges", tenant.auditor)["items"] == []
    post_snapshot(client, headers, SNAPSHOT)
    revalued = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)
    assert revalued.status_code == 201, revalued.text


@pytest.mark.parametrize(
    "change",
    [
        {"type": "swap", "near_date": "2026-12-01", "near_rate": "7.0", "far_date": "2027-05-26"},
        {"type": "option", "option_type": "put", "expiry_date": "2027-05-26"},
    ],
)
def test_every_rate_of_a_booked_deal_is_bounded(
    client: TestClient, tenant: TenantFixture, change: Json
) -> None:
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "1000.00")
    instrument = {**body["instrument"], **change, "strike": "1E+30"}
    if change["type"] == "swap":
        del instrument["strike"], instrument["delivery_date"]
        instrument.update(direction="buy", far_rate="1E+30")
    else:
        del instrument["delivery_date"]
        instrument["direction"] = "buy"
    body["instrument"] = instrument

    response = client.post("/v1/hedges", json=body, headers=tenant.treasurer)

    assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/hedges", tenant.auditor)["items"] == []


@pytest.mark.parametrize(
    ("market", "instrument"),
    [
        ({**INLINE, "spot": "1E+30"}, OPTION),
        ({**INLINE, "spot": "1E-40"}, OPTION),
        ({**INLINE, "domestic_rate": "1E+400"}, OPTION),
        ({**INLINE, "foreign_rate": "-1"}, OPTION),
        ({**INLINE, "domestic_rate": "0.01500000000000000000000000000001"}, OPTION),
        ({**INLINE, "volatility": "11"}, OPTION),
        ({**INLINE, "volatility": "0"}, OPTION),
        ({**INLINE, "volatility": "-0"}, OPTION),
        ({**INLINE, "volatility": "1E+400"}, OPTION),
        (INLINE, {**OPTION, "strike": "1E+400"}),
        (INLINE, {**OPTION, "strike": "1E+30"}),
        (
            INLINE,
            {
                **OPTION,
                "type": "knock_out",
                "barrier_type": "up_out",
                "barrier": "1E+400",
                "expiry_date": "2027-05-26",
            },
        ),
        (
            INLINE,
            {
                **OPTION,
                "type": "knock_out",
                "barrier_type": "up_out",
                "barrier": "7.5",
                "rebate": "1E+30",
            },
        ),
    ],
)
def test_an_absurd_market_or_deal_is_refused_when_priced(
    client: TestClient, tenant: TenantFixture, market: Json, instrument: Json
) -> None:
    assert_problem(price(client, tenant, market, instrument), 422, "VALIDATION_ERROR")


def test_an_option_priced_without_a_volatility_is_market_data_missing(
    client: TestClient, tenant: TenantFixture
) -> None:
    no_vol = {key: value for key, value in INLINE.items() if key != "volatility"}
    american = {**OPTION, "style": "american"}
    knock_out = {**OPTION, "type": "knock_out", "barrier_type": "up_out", "barrier": "7.5"}

    for instrument in (OPTION, american, knock_out):
        response = price(client, tenant, no_vol, instrument)
        problem = assert_problem(response, 422, "MARKET_DATA_MISSING")
        assert "volatility" in problem["detail"]
    forward = {**OPTION, "type": "forward", "delivery_date": "2027-05-26"}
    for key in ("option_type", "expiry_date"):
        del forward[key]
    assert price(client, tenant, no_vol, forward).status_code == 200


def test_an_option_on_a_snapshot_without_vols_is_market_data_missing(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    document = copy.deepcopy(SNAPSHOT)
    del document["vols"]
    post_snapshot(client, headers, document)
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "1000.00")
    body["instrument"] = {
        **OPTION,
        "option_type": "put",
        "notional": body["instrument"]["notional"],
    }
    booked = client.post("/v1/hedges", json=body, headers=headers)
    assert booked.status_code == 201, booked.text

    priced = price(client, tenant, {"snapshot": "2026-11-26"}, OPTION)
    valued = client.get(
        f"/v1/hedges/{booked.json()['id']}/valuation?as_of=2026-11-26", headers=headers
    )
    revalued = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)

    for response in (priced, valued, revalued):
        assert_problem(response, 422, "MARKET_DATA_MISSING")


@pytest.mark.parametrize(
    ("section", "path", "value"),
    [
        ("swap_points", ("USDCNY", 0, "points"), "1E+30"),
        ("swap_points", ("USDCNY", 0, "points"), "-0.01600000000000000000000000001"),
        ("vols", ("USDCNY", 0, "rr25"), "1E+30"),
        ("vols", ("USDCNY", 0, "bf25"), "1E+400"),
        ("vols", ("USDCNY", 0, "atm"), "0.04500000000000000000000000001"),
        ("curves", ("USD", 0, "rate"), "0.04100000000000000000000000001"),
        ("spots", ("USDCNY",), "1E-40"),
        ("spots", ("USDCNY",), "7.08500000000000000000000000001"),
    ],
)
def test_an_absurd_market_snapshot_is_refused(
    client: TestClient, tenant: TenantFixture, section: str, path: tuple[Any, ...], value: str
) -> None:
    document = copy.deepcopy(SNAPSHOT)
    target: Any = document[section]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value

    response = client.post("/v1/market-data/snapshots", json=document, headers=tenant.treasurer)

    assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/market-data/snapshots", tenant.treasurer)["items"] == []


@pytest.mark.parametrize("rate", ABSURD_RATES)
def test_an_absurd_reference_rate_is_refused(
    client: TestClient, operator_headers: dict[str, str], rate: str
) -> None:
    body = {"date": "2026-11-26", "pair": "USDCNY", "rate": rate}

    response = client.post("/v1/reference-rates", json=body, headers=operator_headers)

    assert_problem(response, 422, "VALIDATION_ERROR")


def test_the_widest_plausible_rates_are_accepted(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    """The ranges leave room for every real market: the rial per dollar, the dinar per rial."""
    for rate in ("1000000.123456", "0.0000012345", "7.10250000000000"):
        body = {"date": "2026-11-26", "pair": "USDIRR", "rate": rate}
        response = client.post("/v1/reference-rates", json=body, headers=operator_headers)
        assert response.status_code == 201, response.text
    wide = {**INLINE, "domestic_rate": "0.85", "foreign_rate": "-0.0075", "volatility": "1.5"}
    assert price(client, tenant, wide, OPTION).status_code == 200
