"""Quotas, ratios and the ratio-change limit belong to the 251 filing, not to one pool (issue 12
item 1): a CNY and a USD pool under one filing share one outbound-lending and one foreign-debt
quota (本外币一体化), FX balances weighted as regulation.md §1.4 says."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity, fund, open_account
from treasury.clock import FixedClock

BN = "000000000.00"
# A day of its own: reference rates are system-wide, and the 7.5 of §1.8 must not become the rate
# other tests read for their dates.
DAY = "2026-11-04"
BEFORE = "2026-11-03"
FUNDED = "2026-11-02"
FILING = "SAFE-POOL-2026-007"


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


@dataclass
class Filing:
    """regulation.md §1.8 in CNY units: a host with equity 20,000.00, member A (onshore, 8,000.00,
    r = 1), member B (onshore, 5,000.00, r = 0.6) and an offshore member, each with a CNY and a
    USD account, and a master account in each currency (USD at the house bank, over SWIFT)."""

    host: dict[str, Any]
    onshore: dict[str, Any]
    offshore: dict[str, Any]
    accounts: dict[tuple[str, str], str]  # (who, currency) → account id


def make_filing(client: TestClient, tenant: TenantFixture, operator: dict[str, str]) -> Filing:
    headers = tenant.treasurer
    for day in (BEFORE, DAY):  # rates are system-wide: the newest version of each day wins
        rate = {"date": day, "pair": "USDCNY", "rate": "7.5", "source": "test"}
        assert client.post("/v1/reference-rates", json=rate, headers=operator).status_code == 201
    host = create_entity(
        client,
        headers,
        owners_equity=cny("20000.00"),
        prior_year_revenue=cny("4" + BN),
        prior_year_cross_border_volume=cny("3" + BN),
    )
    onshore = create_entity(
        client,
        headers,
        owners_equity=cny("8000.00"),
        prior_year_revenue=cny("4" + BN),
        prior_year_cross_border_volume=cny("3" + BN),
    )
    other = create_entity(
        client,
        headers,
        owners_equity=cny("5000.00"),
        prior_year_revenue=cny("4" + BN),
        prior_year_cross_border_volume=cny("3" + BN),
    )
    offshore = create_entity(client, headers, country="HK", prior_year_revenue=cny("3" + BN))
    accounts: dict[tuple[str, str], str] = {}
    for currency, bic in (("CNY", "BKCHCNBJ"), ("USD", "HBKACNSH")):
        accounts[("master", currency)] = open_account(
            client, headers, host["id"], kind="pool_master", currency=currency, bank_bic=bic
        )["id"]
        for who, entity in (("host", host), ("a", onshore), ("b", other)):
            accounts[(who, currency)] = open_account(
                client, headers, entity["id"], currency=currency, bank_bic=bic
            )["id"]
        accounts[("offshore", currency)] = open_account(
            client,
            headers,
            offshore["id"],
            currency=currency,
            bank_bic="BKCHCNBJ" if currency == "CNY" else "BKCHHKHH",
        )["id"]
        fund(client, headers, accounts[("master", currency)], "100000.00", FUNDED)
    return Filing(host, onshore, offshore, accounts)


def pool_body(filing: Filing, currency: str, ratio: str | None = "1") -> dict[str, Any]:
    member_a: dict[str, Any] = {"account_id": filing.accounts[("a", currency)]}
    if ratio is not None:
        member_a["concentration_ratio"] = ratio
    return {
        "name": f"{currency} pool",
        "regime": "integrated_251",
        "currency": currency,
        "master_account_id": filing.accounts[("master", currency)],
        "members": [
            {"account_id": filing.accounts[("host", currency)], "rule": "zero_balance"},
            {**member_a, "rule": "zero_balance"},
            {
                "account_id": filing.accounts[("b", currency)],
                "rule": "zero_balance",
                "concentration_ratio": "0.6",
            },
            {"account_id": filing.accounts[("offshore", currency)], "rule": "zero_balance"},
        ],
        "filing_ref": FILING,
        "bop_code": "822020",
    }


@pytest.fixture(autouse=True)
def _on_the_filing_day(clock: FixedClock) -> None:
    clock.instant = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def create_pool(client: TestClient, tenant: TenantFixture, body: dict[str, Any]) -> Any:
    return client.post("/v1/pools", json=body, headers=tenant.treasurer)


def sweep(client: TestClient, tenant: TenantFixture, pool_id: str, day: str = DAY) -> Any:
    response = client.post(
        f"/v1/pools/{pool_id}/sweeps",
        json={"business_date": day},
        headers={**tenant.treasurer, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return response.json()


def quotas(client: TestClient, tenant: TenantFixture, pool_id: str) -> dict[str, Any]:
    body = get_json(client, f"/v1/pools/{pool_id}/positions?as_of={DAY}", tenant.treasurer)
    return {q["kind"]: q for q in body["quotas"]}


def test_worked_example_1_8_one_outbound_lending_quota_across_a_cny_and_a_usd_pool(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    filing = make_filing(client, tenant, operator_headers)
    pools = {}
    for currency in ("CNY", "USD"):
        response = create_pool(client, tenant, pool_body(filing, currency))
        assert response.status_code == 201, response.text
        pools[currency] = response.json()["id"]
    headers = tenant.treasurer
    # outstanding: RMB loans 10,000.00 and USD loans worth 6,000.00 (USD 800 at 7.5)
    fund(client, headers, filing.accounts[("offshore", "CNY")], "-10000.00", FUNDED)
    fund(client, headers, filing.accounts[("offshore", "USD")], "-800.00", FUNDED)
    for currency in ("CNY", "USD"):
        (leg,) = sweep(client, tenant, pools[currency], BEFORE)["legs"]
        assert (leg["direction"], leg["status"]) == ("from_master", "booked"), leg["reason"]
    for pool_id in pools.values():
        ol = quotas(client, tenant, pool_id)["outbound_lending"]
        # quota (20,000 + 8,000 + 3,000) × 1 × 0.8 = 24,800; RWB 10,000 + 6,000 × 1.5 = 19,000
        assert (ol["limit"]["amount"], ol["used"]["amount"]) == ("24800.00", "19000.00")

    # a new USD loan uses 1.5×: the largest is 5,800 / 1.5 = 3,866.67 CNY = USD 515.55
    fund(client, headers, filing.accounts[("offshore", "USD")], "-1000.00", FUNDED)
    (usd,) = sweep(client, tenant, pools["USD"])["legs"]
    assert (usd["status"], usd["amount"]["amount"]) == ("capped", "515.55"), usd
    # what is left (24,800 − 19,000 − 515.55 × 7.5 × 1.5 = 0.06) is all a CNY loan may take
    fund(client, headers, filing.accounts[("offshore", "CNY")], "-100.00", FUNDED)
    (rmb,) = sweep(client, tenant, pools["CNY"])["legs"]
    assert (rmb["status"], rmb["amount"]["amount"]) == ("capped", "0.06"), rmb
    for pool_id in pools.values():
        ol = quotas(client, tenant, pool_id)["outbound_lending"]
        # 19,000 + 5,799.9375 + 0.06 = 24,799.9975, shown half-even
        assert (ol["used"]["amount"], ol["headroom"]["amount"]) == ("24800.00", "0.00")


def test_the_foreign_debt_quota_is_shared_and_fx_weighs_two(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    filing = make_filing(client, tenant, operator_headers)
    # FD = (20,000 + Σ E_i × s_i, no s_i) × 2 × 1.75 = 70,000.00
    pools = {
        c: create_pool(client, tenant, pool_body(filing, c)).json()["id"] for c in ("CNY", "USD")
    }
    fund(client, tenant.treasurer, filing.accounts[("offshore", "CNY")], "40000.00", FUNDED)
    (leg,) = sweep(client, tenant, pools["CNY"])["legs"]
    assert (leg["status"], leg["amount"]["amount"]) == ("booked", "40000.00")  # FD 60,000.00
    fund(client, tenant.treasurer, filing.accounts[("offshore", "USD")], "1000.00", FUNDED)
    forecast = get_json(
        client,
        f"/v1/pools/{pools['USD']}/sweep-forecast?business_date={DAY}",
        tenant.treasurer,
    )
    (usd,) = forecast["legs"]
    # USD short-term debt weighs 1.5 + 0.5 = 2: 10,000 / (7.5 × 2) = USD 666.66
    assert (usd["status"], usd["amount"]["amount"]) == ("capped", "666.66"), usd
    fd = next(q for q in forecast["quotas"] if q["kind"] == "foreign_debt")
    assert (fd["limit"], fd["used_before"], fd["used_after"]) == (
        "70000.00",
        "60000.00",
        "69999.90",
    )


def test_eligibility_and_the_quota_count_every_member_of_the_filing(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    filing = make_filing(client, tenant, operator_headers)
    usd = create_pool(client, tenant, pool_body(filing, "USD"))
    assert usd.status_code == 201, usd.text
    body = pool_body(filing, "CNY")
    body["members"].pop(1)  # member A is only in the USD pool
    # host and B alone have CNY 8bn onshore revenue, below 10bn; the filing has 12bn
    cny_pool = create_pool(client, tenant, body)
    assert cny_pool.status_code == 201, cny_pool.text
    ol = quotas(client, tenant, cny_pool.json()["id"])["outbound_lending"]
    assert ol["limit"]["amount"] == "24800.00"


def test_an_entity_carries_one_ratio_across_the_filing(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    filing = make_filing(client, tenant, operator_headers)
    cny_pool = create_pool(client, tenant, pool_body(filing, "CNY", ratio="1")).json()
    other = create_pool(client, tenant, pool_body(filing, "USD", ratio="0.5"))
    assert "filing" in assert_problem(other, 422, "POOL_RATIOS_INCONSISTENT")["detail"]
    usd_pool = create_pool(client, tenant, pool_body(filing, "USD", ratio=None))
    assert usd_pool.status_code == 201, usd_pool.text
    usd_a = filing.accounts[("a", "USD")]
    inherited = next(m for m in usd_pool.json()["members"] if m["account_id"] == usd_a)
    assert inherited["concentration_ratio"] == "1"

    changed = client.patch(
        f"/v1/pools/{cny_pool['id']}/members/{filing.accounts[('a', 'CNY')]}",
        json={"concentration_ratio": "0.6"},
        headers=tenant.treasurer,
    )
    assert changed.status_code == 200, changed.text
    usd_now = get_json(client, f"/v1/pools/{usd_pool.json()['id']}", tenant.treasurer)
    member = next(m for m in usd_now["members"] if m["account_id"] == usd_a)
    assert member["concentration_ratio"] == "0.6"
    second = client.patch(
        f"/v1/pools/{usd_pool.json()['id']}/members/{usd_a}",
        json={"concentration_ratio": "0.7"},
        headers=tenant.treasurer,
    )
    assert_problem(second, 422, "RATIO_CHANGE_LIMIT")


def test_a_filing_has_one_host(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    filing = make_filing(client, tenant, operator_headers)
    assert create_pool(client, tenant, pool_body(filing, "CNY")).status_code == 201
    other_host = create_entity(client, tenant.treasurer, owners_equity=cny("1.00"))
    body = pool_body(filing, "USD")
    body["master_account_id"] = open_account(
        client, tenant.treasurer, other_host["id"], kind="pool_master", currency="USD"
    )["id"]
    detail = assert_problem(create_pool(client, tenant, body), 422, "POOL_INELIGIBLE")["detail"]
    assert FILING in detail
