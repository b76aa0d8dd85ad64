"""A pool dated before its regime existed (issue 12 item 5): 银发〔2025〕251号 took effect on
issue, 2025-12-26 (regulation.md §1.1); an integrated pool created before then is 422
POOL_INELIGIBLE naming the regime, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_pool_api import BN, cny, create_pool, make_group
from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from treasury.clock import FixedClock


def test_an_integrated_pool_before_the_251_notice_is_ineligible(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    group = make_group(client, tenant)
    clock.instant = datetime(2025, 12, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    detail = assert_problem(create_pool(client, tenant, group), 422, "POOL_INELIGIBLE")["detail"]
    assert "integrated_251" in detail
    assert "2025-12-26" in detail
    assert get_json(client, "/v1/pools", tenant.treasurer)["items"] == []
    clock.instant = datetime(2025, 12, 26, 2, 0, tzinfo=UTC)
    created = create_pool(client, tenant, group)
    assert created.status_code == 201, created.text


def test_the_251_parameters_take_effect_with_the_notice(
    client: TestClient, tenant: TenantFixture
) -> None:
    def value(name: str, on: str) -> object:
        found = get_json(client, f"/v1/parameters?name={name}&as_of={on}", tenant.auditor)
        items = found["items"] if isinstance(found, dict) else found
        return items[0]["value"] if items else None

    assert value("pool251.min_members", "2025-12-25") is None
    assert value("pool251.min_members", "2025-12-26") == "3"
    assert value("pool251.ol_coeff", "2025-06-30") is None
    assert value("pool251.ol_coeff", "2026-01-01") == "0.8"


def test_the_ratio_change_limit_is_the_parameter_in_force(
    client: TestClient,
    tenant: TenantFixture,
    clock: FixedClock,
    operator_headers: dict[str, str],
) -> None:
    # a later version allowing two changes a year, on dates no other test reaches
    version = {
        "name": "pool251.ratio_changes_per_year",
        "value": "2",
        "effective_from": "2031-01-01",
        "source": "test: an illustrative later version [X]",
    }
    loaded = client.post("/v1/parameters", json=version, headers=operator_headers)
    assert loaded.status_code == 201, loaded.text
    clock.instant = datetime(2031, 3, 3, 2, 0, tzinfo=UTC)
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    path = f"/v1/pools/{pool['id']}/members/{group.onshore_account}"
    for ratio in ("0.6", "0.7"):
        changed = client.patch(path, json={"concentration_ratio": ratio}, headers=tenant.treasurer)
        assert changed.status_code == 200, changed.text
    third = client.patch(path, json={"concentration_ratio": "0.8"}, headers=tenant.treasurer)
    assert "at most 2" in assert_problem(third, 422, "RATIO_CHANGE_LIMIT")["detail"]


@pytest.mark.parametrize(
    ("penalty_on", "eligible"),
    [("2024-11-27", False), ("2024-11-26", True)],  # two years before 2026-11-26, and a day after
)
def test_a_member_with_a_recent_fx_penalty_makes_the_251_pool_ineligible(
    client: TestClient, tenant: TenantFixture, penalty_on: str, eligible: bool
) -> None:
    group = make_group(client, tenant)
    patched = client.patch(
        f"/v1/entities/{group.onshore['id']}",
        json={"last_fx_penalty_on": penalty_on},
        headers=tenant.treasurer,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["last_fx_penalty_on"] == penalty_on
    response = create_pool(client, tenant, group)
    if eligible:
        assert response.status_code == 201, response.text
    else:
        detail = assert_problem(response, 422, "POOL_INELIGIBLE")["detail"]
        assert "§1.2 clean record" in detail


def test_a_279_pool_still_running_a_year_after_the_251_filing_is_a_breach(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    integrated = create_pool(client, tenant, group)  # filed 2026-11-26
    assert integrated.status_code == 201, integrated.text
    headers = tenant.treasurer
    host = create_entity(
        client, headers, prior_year_revenue=cny("2" + BN), established_on="2015-01-01"
    )
    hk = create_entity(
        client, headers, country="HK", prior_year_revenue=cny("1" + BN), established_on="2015-01-01"
    )
    body = {
        "name": "RMB pool",
        "regime": "rmb_279",
        "currency": "CNY",
        "master_account_id": open_account(client, headers, host["id"], kind="pool_master")["id"],
        "members": [
            {"account_id": open_account(client, headers, hk["id"])["id"], "rule": "zero_balance"}
        ],
        "filing_ref": "PBOC-279-2015-01",
        "bop_code": "822020",
    }
    legacy = client.post("/v1/pools", json=body, headers=headers)
    assert legacy.status_code == 201, legacy.text
    path = f"/v1/pools/{integrated.json()['id']}/positions?as_of="
    # 12 months after the filing the 279 pool may still run; a day later it is a breach
    assert get_json(client, path + "2027-11-26", headers)["alerts"] == []
    (alert,) = get_json(client, path + "2027-11-27", headers)["alerts"]
    assert "rule 14" in alert
    assert legacy.json()["id"] in alert


def test_a_branch_may_not_host_an_integrated_pool(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    client.patch(
        f"/v1/entities/{group.host['id']}",
        json={"independent_legal_person": False},
        headers=tenant.treasurer,
    )
    detail = assert_problem(create_pool(client, tenant, group), 422, "POOL_INELIGIBLE")["detail"]
    assert "rule 4" in detail
    assert "independent legal person" in detail


def test_a_pool_master_lends_and_is_repaid_in_one_currency(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    headers = tenant.treasurer
    fund(client, headers, group.master, "1000.00")
    usd = open_account(client, headers, group.offshore["id"], currency="USD")["id"]
    body = {
        "debtor_account_id": group.master,
        "creditor_account_id": usd,
        "amount": {"amount": "710.00", "currency": "CNY"},
        "fx_rate": "0.14",
        "value_date": "2026-11-26",
        "purpose": "loan",
        "bop_code": "822020",
        "references": {"registration": "SAFE-OL-2026-02"},
    }
    refused = post_transfer(client, headers, body).json()
    assert refused["status"] == "rejected"
    assert [f["rule"] for f in refused["findings"] if f["severity"] == "block"] == [
        "POOL_CROSS_CURRENCY"
    ]
