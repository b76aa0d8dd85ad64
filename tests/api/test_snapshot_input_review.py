"""Market-data snapshots the pricer could never use are refused at the door with a 422: each was
stored (or a 500) and then made every price from it a 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import SNAPSHOT
from tests.support import TenantFixture

FORWARD = {
    "type": "forward",
    "pair": "USDCNY",
    "direction": "buy",
    "notional": {"amount": "1000.00", "currency": "USD"},
    "strike": "7.0000",
    "delivery_date": "2027-06-30",
}


def _spots_a_list(document: dict[str, Any]) -> None:
    document["spots"] = ["USDCNY"]


def _curves_text(document: dict[str, Any]) -> None:
    document["curves"] = "USD"


def _spot_beyond_precision(document: dict[str, Any]) -> None:
    document["spots"]["USDCNY"] = "1" + "0" * 30


def _tenor_past_the_pricers_dates(document: dict[str, Any]) -> None:
    document["curves"]["USD"][0] = {"tenor": "999Y", "rate": "0.0410"}


def _vol_tenor_past_the_pricers_dates(document: dict[str, Any]) -> None:
    document["vols"]["USDCNY"][0] = {"tenor": "99999999Y", "atm": "0.045"}


@pytest.mark.parametrize(
    "spoil",
    [
        _spots_a_list,
        _curves_text,
        _spot_beyond_precision,
        _tenor_past_the_pricers_dates,
        _vol_tenor_past_the_pricers_dates,
    ],
)
def test_a_snapshot_the_pricer_cannot_use_is_refused(
    client: TestClient, tenant: TenantFixture, spoil: Any
) -> None:
    document = copy.deepcopy(SNAPSHOT)
    spoil(document)
    response = client.post("/v1/market-data/snapshots", json=document, headers=tenant.treasurer)
    assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/market-data/snapshots", tenant.auditor)["items"] == []
    priced = client.post(
        "/v1/fx/price",
        json={"as_of": "2026-11-26", "market": {"snapshot": "2026-11-26"}, "instrument": FORWARD},
        headers=tenant.treasurer,
    )
    assert_problem(priced, 404, "NOT_FOUND")  # nothing stored to price from
