"""Issue 10: pools whose offshore members bank offshore sweep in both directions.

A 251 pool and a 279 pool, each with a Hong Kong member at BOCHK holding a surplus (it sweeps to
the onshore master) and a Singapore member at DBS short of its target (the master funds it), the
onshore side at two Chinese banks. Seeded reference data only; every leg within the quotas.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.support import TenantFixture, create_entity, fund, open_account
from treasury.clock import FixedClock
from treasury.settlement import pain001

Json = dict[str, Any]
BN = "000000000.00"
DAY = "2026-11-26"


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _members(client: TestClient, tenant: TenantFixture, *, regime: str) -> Json:
    headers = tenant.treasurer
    size = {
        "owners_equity": cny("20000" + "000000.00"),
        "prior_year_revenue": cny("8" + BN),
        "prior_year_cross_border_volume": cny("4" + BN),
        "established_on": "2015-01-01",
    }
    host = create_entity(client, headers, name="Shanghai Host", shareholding_ratio="0.8", **size)
    onshore = create_entity(client, headers, name="Beijing Works", **size)
    offshore = {"prior_year_revenue": cny("3" + BN), "established_on": "2015-01-01"}
    hong_kong = create_entity(client, headers, country="HK", name="HK Trading", **offshore)
    singapore = create_entity(client, headers, country="SG", name="SG Sales", **offshore)
    accounts = {
        "master": open_account(client, headers, host["id"], kind="pool_master"),
        "host": open_account(client, headers, host["id"]),
        "onshore": open_account(client, headers, onshore["id"], bank_bic="ICBKCNBJ"),
        "hong_kong": open_account(client, headers, hong_kong["id"], bank_bic="BKCHHKHH"),
        "singapore": open_account(client, headers, singapore["id"], bank_bic="DBSSSGSG"),
    }
    members = [
        {"account_id": accounts["host"]["id"], "rule": "zero_balance"},
        {"account_id": accounts["hong_kong"]["id"], "rule": "zero_balance"},
        {
            "account_id": accounts["singapore"]["id"],
            "rule": "target_balance",
            "target": cny("300.00"),
        },
    ]
    if regime == "integrated_251":
        members.append(
            {
                "account_id": accounts["onshore"]["id"],
                "rule": "zero_balance",
                "concentration_ratio": "1",
            }
        )
    body = {
        "name": f"{regime} pool",
        "regime": regime,
        "currency": "CNY",
        "master_account_id": accounts["master"]["id"],
        "members": members,
        "filing_ref": f"SAFE-{regime}-{uuid.uuid4().hex[:6]}",
        "bop_code": "822020",
    }
    response = client.post("/v1/pools", json=body, headers=headers)
    assert response.status_code == 201, response.text
    fund(client, headers, accounts["master"]["id"], "1000.00")
    fund(client, headers, accounts["hong_kong"]["id"], "250.00")
    return {"pool": response.json(), "accounts": {k: v["id"] for k, v in accounts.items()}}


def _sweep(client: TestClient, tenant: TenantFixture, pool_id: str) -> Json:
    response = client.post(
        f"/v1/pools/{pool_id}/sweeps",
        json={"business_date": DAY},
        headers={**tenant.treasurer, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def _assert_file_with_both_addresses(
    client: TestClient, tenant: TenantFixture, transfer_id: str
) -> None:
    response = client.get(f"/v1/transfers/{transfer_id}/pain001", headers=tenant.treasurer)
    assert response.status_code == 200, response.text
    pain001.schema().validate(response.text)
    root = ElementTree.fromstring(response.text)
    for party in ("Dbtr", "Cdtr"):
        town = root.find(f".//p:{party}/p:PstlAdr/p:TwnNm", {"p": pain001.NAMESPACE})
        assert town is not None, f"{party} has no structured address"


def _check_both_directions(client: TestClient, tenant: TenantFixture, group: Json) -> Json:
    pool, accounts = group["pool"], group["accounts"]
    forecast = get_json(
        client, f"/v1/pools/{pool['id']}/sweep-forecast?business_date={DAY}", tenant.treasurer
    )
    routes = {leg["account_id"]: leg["route"] for leg in forecast["legs"]}
    assert routes[accounts["hong_kong"]]["rail_id"] == "CIPS_ANY", routes
    assert routes[accounts["singapore"]]["rail_id"] == "CIPS_ANY", routes

    run = _sweep(client, tenant, pool["id"])

    legs = {leg["account_id"]: leg for leg in run["legs"]}
    hong_kong, singapore = legs[accounts["hong_kong"]], legs[accounts["singapore"]]
    assert (hong_kong["direction"], hong_kong["status"]) == ("to_master", "booked"), hong_kong
    assert hong_kong["amount"]["amount"] == "250.00"
    assert (singapore["direction"], singapore["status"]) == ("from_master", "booked"), singapore
    assert singapore["amount"]["amount"] == "300.00"
    for leg in (hong_kong, singapore):
        assert leg["cross_border"] is True
        transfer = get_json(client, f"/v1/transfers/{leg['transfer_id']}", tenant.auditor)
        assert transfer["route"]["rail_id"] == "CIPS_ANY"
        assert transfer["market"] == ("CNH" if leg is hong_kong else "CNY")
        _assert_file_with_both_addresses(client, tenant, leg["transfer_id"])
    positions: Json = get_json(
        client, f"/v1/pools/{pool['id']}/positions?as_of={DAY}", tenant.auditor
    )
    by_account = {m["account_id"]: m for m in positions["members"]}
    assert by_account[accounts["hong_kong"]]["balance"]["amount"] == "0.00"
    assert by_account[accounts["singapore"]]["balance"]["amount"] == "300.00"
    assert positions["master_balance"]["amount"] == "950.00"
    return positions


def test_a_251_pool_sweeps_offshore_members_both_ways_within_its_quotas(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = _members(client, tenant, regime="integrated_251")

    positions = _check_both_directions(client, tenant, group)

    quotas = {q["kind"]: q for q in positions["quotas"]}
    # Hong Kong lends 250.00 to the pool (foreign debt, short-term CNY: weight 1.5); the master
    # lends 300.00 to Singapore (outbound lending).
    assert quotas["foreign_debt"]["used"]["amount"] == "375.00"
    assert quotas["outbound_lending"]["used"]["amount"] == "300.00"
    for quota in quotas.values():
        assert Decimal(quota["used"]["amount"]) <= Decimal(quota["limit"]["amount"])


def test_a_279_pool_sweeps_offshore_members_both_ways_within_its_net_inflow_cap(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = _members(client, tenant, regime="rmb_279")

    positions = _check_both_directions(client, tenant, group)

    quotas = {q["kind"]: q for q in positions["quotas"]}
    # Net inflow: 250.00 in from Hong Kong less 300.00 out to Singapore.
    assert quotas["net_inflow"]["used"]["amount"] == "-50.00"


def test_a_usd_pool_sweeps_offshore_members_both_ways_over_swift(
    client: TestClient,
    tenant: TenantFixture,
    clock: FixedClock,
    operator_headers: dict[str, str],
) -> None:
    clock.instant = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    # Reference rates are system-wide: the one other tests use for the 26th, so later-dated
    # lookups elsewhere see no other rate than they expect.
    rate = {"date": "2026-11-26", "pair": "USDCNY", "rate": "7.10"}
    assert client.post("/v1/reference-rates", json=rate, headers=operator_headers).status_code in (
        200,
        201,
        409,
    )
    headers = tenant.treasurer
    size = {
        "owners_equity": cny("20000" + "000000.00"),
        "prior_year_revenue": cny("8" + BN),
        "prior_year_cross_border_volume": cny("4" + BN),
    }
    host = create_entity(client, headers, name="Shanghai Host", **size)
    onshore = create_entity(client, headers, name="Beijing Works", **size)
    hong_kong = create_entity(client, headers, country="HK", prior_year_revenue=cny("3" + BN))
    singapore = create_entity(client, headers, country="SG", prior_year_revenue=cny("3" + BN))

    def usd_account(entity: Json, bank: str, **fields: Any) -> str:
        return str(
            open_account(client, headers, entity["id"], currency="USD", bank_bic=bank, **fields)[
                "id"
            ]
        )

    master = usd_account(host, "BKCHCNBJ", kind="pool_master")
    members = {
        "host": usd_account(host, "BKCHCNBJ"),
        "onshore": usd_account(onshore, "ICBKCNBJ"),
        "hong_kong": usd_account(hong_kong, "BKCHHKHH"),
        "singapore": usd_account(singapore, "DBSSSGSG"),
    }
    body = {
        "name": "USD pool",
        "regime": "integrated_251",
        "currency": "USD",
        "master_account_id": master,
        "members": [
            {"account_id": members["host"], "rule": "zero_balance"},
            {"account_id": members["onshore"], "rule": "zero_balance", "concentration_ratio": "1"},
            {"account_id": members["hong_kong"], "rule": "zero_balance"},
            {
                "account_id": members["singapore"],
                "rule": "target_balance",
                "target": {"amount": "300.00", "currency": "USD"},
            },
        ],
        "filing_ref": f"SAFE-USD-{uuid.uuid4().hex[:6]}",
        "bop_code": "822020",
    }
    created = client.post("/v1/pools", json=body, headers=headers)
    assert created.status_code == 201, created.text
    pool = created.json()
    fund(client, headers, master, "1000.00", value_date="2026-11-27")
    fund(client, headers, members["hong_kong"], "250.00", value_date="2026-11-27")

    response = client.post(
        f"/v1/pools/{pool['id']}/sweeps",
        json={"business_date": "2026-11-30"},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )

    assert response.status_code == 201, response.text
    legs = {leg["account_id"]: leg for leg in response.json()["legs"]}
    inbound, outbound = legs[members["hong_kong"]], legs[members["singapore"]]
    assert (inbound["direction"], inbound["status"]) == ("to_master", "booked"), inbound
    assert (outbound["direction"], outbound["status"]) == ("from_master", "booked"), outbound
    for leg in (inbound, outbound):
        transfer = get_json(client, f"/v1/transfers/{leg['transfer_id']}", tenant.auditor)
        assert transfer["route"]["rail_id"] == "SWIFT_ANY"
        assert transfer["value_date"] == "2026-11-30"
        _assert_file_with_both_addresses(client, tenant, leg["transfer_id"])
    positions = get_json(client, f"/v1/pools/{pool['id']}/positions", tenant.auditor)
    quotas = {q["kind"]: q for q in positions["quotas"]}
    assert Decimal(quotas["foreign_debt"]["used"]["amount"]) > 0
    assert Decimal(quotas["outbound_lending"]["used"]["amount"]) > 0
    for quota in quotas.values():
        assert Decimal(quota["used"]["amount"]) <= Decimal(quota["limit"]["amount"])
