"""Pools over HTTP: creation and eligibility, members and ratios, sweeps, positions, forecast,
interest (SQLite and PostgreSQL)."""

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
SHANGHAI = {
    "street": "Century Avenue",
    "building": "8",
    "town": "Shanghai",
    "subdivision": "Shanghai",
    "country": "CN",
}


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


@dataclass
class Group:
    """A host with a master and a current account, an onshore and an offshore member."""

    host: dict[str, Any]
    onshore: dict[str, Any]
    offshore: dict[str, Any]
    master: str
    host_account: str
    onshore_account: str
    offshore_account: str


def make_group(client: TestClient, tenant: TenantFixture, *, offshore_class: str = "A") -> Group:
    headers = tenant.treasurer
    host = create_entity(
        client,
        headers,
        owners_equity=cny("20000" + "000000.00"),
        prior_year_revenue=cny("8" + BN),
        prior_year_cross_border_volume=cny("4" + BN),
        address=SHANGHAI,
    )
    onshore = create_entity(
        client,
        headers,
        owners_equity=cny("8000" + "000000.00"),
        prior_year_revenue=cny("4" + BN),
        prior_year_cross_border_volume=cny("4" + BN),
    )
    offshore = create_entity(
        client,
        headers,
        country="HK",
        trade_fx_class=offshore_class,
        prior_year_revenue=cny("3" + BN),
    )
    # the partner bank: the branch holding the master is in the host's province (§1.2)
    master = open_account(
        client, headers, host["id"], kind="pool_master", branch_subdivision="Shanghai"
    )["id"]
    return Group(
        host=host,
        onshore=onshore,
        offshore=offshore,
        master=master,
        host_account=open_account(client, headers, host["id"])["id"],
        onshore_account=open_account(client, headers, onshore["id"])["id"],
        offshore_account=open_account(client, headers, offshore["id"])["id"],
    )


def pool_body(group: Group, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Group pool",
        "regime": "integrated_251",
        "currency": "CNY",
        "master_account_id": group.master,
        "members": [
            {"account_id": group.host_account, "rule": "zero_balance"},
            {
                "account_id": group.onshore_account,
                "rule": "zero_balance",
                "concentration_ratio": "1",
            },
            {"account_id": group.offshore_account, "rule": "zero_balance"},
        ],
        "interest": {"credit_rate": "0.018", "debit_rate": "0.036", "day_count": "ACT/360"},
        "filing_ref": "SAFE-POOL-2026-001",
        "bop_code": "822020",
        **fields,
    }


def create_pool(client: TestClient, tenant: TenantFixture, group: Group, **fields: Any) -> Any:
    return client.post("/v1/pools", json=pool_body(group, **fields), headers=tenant.treasurer)


def sweep(client: TestClient, tenant: TenantFixture, pool_id: str, day: str) -> Any:
    return client.post(
        f"/v1/pools/{pool_id}/sweeps",
        json={"business_date": day},
        headers={**tenant.treasurer, "Idempotency-Key": uuid.uuid4().hex},
    )


def test_an_eligible_pool_is_created_with_its_members(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    response = create_pool(client, tenant, group)
    assert response.status_code == 201, response.text
    pool = response.json()
    assert pool["host_entity_id"] == group.host["id"]
    assert pool["schedule"] == "15:00"
    assert pool["interest"]["credit_rate"] == "0.018"
    assert {m["account_id"] for m in pool["members"]} == {
        group.host_account,
        group.onshore_account,
        group.offshore_account,
    }
    assert get_json(client, f"/v1/pools/{pool['id']}", tenant.auditor)["id"] == pool["id"]


def test_a_class_b_onshore_member_makes_the_pool_ineligible(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    patched = client.patch(
        f"/v1/entities/{group.onshore['id']}",
        json={"trade_fx_class": "B"},
        headers=tenant.treasurer,
    )
    assert patched.status_code == 200, patched.text
    body = assert_problem(create_pool(client, tenant, group), 422, "POOL_INELIGIBLE")
    assert "rule 3" in body["detail"]
    assert get_json(client, "/v1/pools", tenant.treasurer)["items"] == []


def test_two_members_are_too_few_for_an_integrated_pool(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    body = pool_body(group)
    body["members"] = body["members"][:1]
    response = client.post("/v1/pools", json=body, headers=tenant.treasurer)
    assert "§1.2 members" in assert_problem(response, 422, "POOL_INELIGIBLE")["detail"]


def test_an_lgfv_member_is_refused(client: TestClient, tenant: TenantFixture) -> None:
    group = make_group(client, tenant)
    client.patch(
        f"/v1/entities/{group.offshore['id']}", json={"kind": "lgfv"}, headers=tenant.treasurer
    )
    detail = assert_problem(create_pool(client, tenant, group), 422, "POOL_INELIGIBLE")["detail"]
    assert "rule 1" in detail


def test_the_concentration_ratio_changes_at_most_once_a_calendar_year(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    path = f"/v1/pools/{pool['id']}/members/{group.onshore_account}"
    first = client.patch(path, json={"concentration_ratio": "0.6"}, headers=tenant.treasurer)
    assert first.status_code == 200, first.text
    member = next(m for m in first.json()["members"] if m["account_id"] == group.onshore_account)
    assert member["concentration_ratio"] == "0.6"
    second = client.patch(path, json={"concentration_ratio": "0.7"}, headers=tenant.treasurer)
    assert_problem(second, 422, "RATIO_CHANGE_LIMIT")
    rule_only = client.patch(
        path, json={"rule": "target_balance", "target": cny("100.00")}, headers=tenant.treasurer
    )
    assert rule_only.status_code == 200, rule_only.text


def test_a_sweep_moves_cash_records_loans_and_runs_once(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    headers = tenant.treasurer
    fund(client, headers, group.host_account, "100.00")
    fund(client, headers, group.onshore_account, "1000.00")
    fund(client, headers, group.offshore_account, "250.00")

    first = sweep(client, tenant, pool["id"], "2026-11-26")
    assert first.status_code == 201, first.text
    run = first.json()
    assert run["status"] == "completed"
    legs = {leg["account_id"]: leg for leg in run["legs"]}
    assert {
        a: (leg["amount"]["amount"], leg["direction"], leg["status"]) for a, leg in legs.items()
    } == {
        group.host_account: ("100.00", "to_master", "booked"),
        group.onshore_account: ("1000.00", "to_master", "booked"),
        group.offshore_account: ("250.00", "to_master", "booked"),
    }
    assert legs[group.offshore_account]["cross_border"] is True
    transfer = get_json(
        client, f"/v1/transfers/{legs[group.offshore_account]['transfer_id']}", headers
    )
    assert transfer["status"] == "booked"
    assert transfer["purpose"] == "cash_pool"
    assert legs[group.onshore_account]["transfer_id"] is None

    positions = get_json(client, f"/v1/pools/{pool['id']}/positions?as_of=2026-11-26", headers)
    assert positions["master_balance"]["amount"] == "1350.00"
    by_account = {m["account_id"]: m for m in positions["members"]}
    assert by_account[group.onshore_account]["balance"]["amount"] == "0.00"
    assert by_account[group.onshore_account]["intercompany_position"]["amount"] == "1000.00"
    assert by_account[group.offshore_account]["intercompany_position"]["amount"] == "250.00"
    assert by_account[group.host_account]["intercompany_position"]["amount"] == "0.00"
    quotas = {q["kind"]: q for q in positions["quotas"]}
    # foreign debt: the offshore member lends 250.00 short-term CNY: weight 1.5
    assert quotas["foreign_debt"]["used"]["amount"] == "375.00"
    assert quotas["outbound_lending"]["used"]["amount"] == "0.00"

    again = sweep(client, tenant, pool["id"], "2026-11-26")
    assert again.status_code == 200
    assert again.json()["id"] == run["id"]
    assert len(get_json(client, f"/v1/pools/{pool['id']}/sweeps", headers)["items"]) == 1
    host_ledger = get_json(client, f"/v1/entities/{group.host['id']}/ledger-accounts", headers)
    payables = [a for a in host_ledger["items"] if a["kind"] == "intercompany_payable"]
    assert sorted(a["balance"] for a in payables) == ["-1000.00", "-250.00"]


def test_a_sweep_funds_a_borrowing_member_from_the_master(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    headers = tenant.treasurer
    fund(client, headers, group.master, "500.00")
    client.patch(
        f"/v1/pools/{pool['id']}/members/{group.onshore_account}",
        json={"rule": "target_balance", "target": cny("300.00")},
        headers=headers,
    )
    run = sweep(client, tenant, pool["id"], "2026-11-26").json()
    (leg,) = run["legs"]
    assert (leg["account_id"], leg["direction"], leg["amount"]["amount"]) == (
        group.onshore_account,
        "from_master",
        "300.00",
    )
    positions = get_json(client, f"/v1/pools/{pool['id']}/positions", headers)
    by_account = {m["account_id"]: m for m in positions["members"]}
    assert by_account[group.onshore_account]["intercompany_position"]["amount"] == "-300.00"


def test_non_business_days_and_dates_beyond_the_calendar_are_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    assert_problem(sweep(client, tenant, pool["id"], "2026-11-22"), 422, "NOT_A_BUSINESS_DAY")
    assert_problem(sweep(client, tenant, pool["id"], "2026-10-01"), 422, "NOT_A_BUSINESS_DAY")
    assert_problem(sweep(client, tenant, pool["id"], "2031-03-03"), 422, "CALENDAR_NOT_LOADED")


def test_the_forecast_shows_legs_and_quota_effects_and_posts_nothing(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    headers = tenant.treasurer
    fund(client, headers, group.offshore_account, "400.00")
    forecast = get_json(
        client, f"/v1/pools/{pool['id']}/sweep-forecast?business_date=2026-11-26", headers
    )
    (leg,) = forecast["legs"]
    assert leg["amount"]["amount"] == "400.00"
    assert leg["quota_effects"]["foreign_debt"] == "600.00"
    fd = next(q for q in forecast["quotas"] if q["kind"] == "foreign_debt")
    assert (fd["used_before"], fd["used_after"]) == ("0.00", "600.00")
    assert get_json(client, f"/v1/pools/{pool['id']}/sweeps", headers)["items"] == []


def test_a_leg_over_the_quota_is_capped_to_the_headroom(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    # A host with equity 100.00 and no concentration: the FD quota is 100 × 2 × 1.75 = 350.00
    client.patch(
        f"/v1/entities/{group.host['id']}",
        json={"owners_equity": cny("100.00")},
        headers=tenant.treasurer,
    )
    body = pool_body(group)
    body["members"][1].pop("concentration_ratio")
    pool = client.post("/v1/pools", json=body, headers=tenant.treasurer).json()
    client.patch(
        f"/v1/entities/{group.onshore['id']}",
        json={"owners_equity": cny("0.00")},
        headers=tenant.treasurer,
    )
    fund(client, tenant.treasurer, group.offshore_account, "1000.00")
    run = sweep(client, tenant, pool["id"], "2026-11-26").json()
    (leg,) = run["legs"]
    assert run["status"] == "partial"
    assert leg["status"] == "capped"
    # 350 / 1.5 = 233.33 (a fen more would exceed it)
    assert leg["amount"]["amount"] == "233.33"
    assert "foreign_debt" in leg["reason"]
    positions = get_json(client, f"/v1/pools/{pool['id']}/positions", tenant.treasurer)
    fd = next(q for q in positions["quotas"] if q["kind"] == "foreign_debt")
    assert fd["used"]["amount"] == "350.00"  # 233.33 × 1.5 = 349.995, shown rounded half-even


def test_interest_is_posted_once_per_period(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    headers = tenant.treasurer
    fund(client, headers, group.onshore_account, "3600000.00", value_date="2026-11-20")
    assert sweep(client, tenant, pool["id"], "2026-11-26").status_code == 201
    interest = f"/v1/pools/{pool['id']}/interest"
    same_day = client.post(interest, json={"period_end": "2026-11-26"}, headers=headers)
    assert_problem(same_day, 422, "INTEREST_PERIOD_OUT_OF_RANGE")  # no night has passed yet
    future = client.post(interest, json={"period_end": "2026-12-01"}, headers=headers)
    assert_problem(future, 422, "DATE_NOT_REACHED")

    clock.instant = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    response = client.post(interest, json={"period_end": "2026-12-01"}, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["period_start"] == "2026-11-26"
    # five nights on CNY 3,600,000.00 lent at 1.8% ACT/360 = 900.00, capitalised
    assert body["lines"] == [
        {"entity_id": group.onshore["id"], "interest": {"amount": "900.00", "currency": "CNY"}}
    ]
    replay = client.post(interest, json={"period_end": "2026-12-01"}, headers=headers)
    assert replay.status_code == 200
    assert replay.json()["id"] == body["id"]
    positions = get_json(client, f"/v1/pools/{pool['id']}/positions", headers)
    by_account = {m["account_id"]: m for m in positions["members"]}
    assert by_account[group.onshore_account]["intercompany_position"]["amount"] == "3600900.00"
    earlier = client.post(interest, json={"period_end": "2026-11-30"}, headers=headers)
    assert_problem(earlier, 409, "CONFLICT")
    host = get_json(client, f"/v1/entities/{group.host['id']}/ledger-accounts", headers)
    expense = [a for a in host["items"] if a["kind"] == "interest_expense"]
    assert [a["balance"] for a in expense] == ["900.00"]


def test_another_tenants_pool_is_not_found(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    assert_problem(
        client.get(f"/v1/pools/{pool['id']}", headers=other_tenant.treasurer), 404, "NOT_FOUND"
    )
    assert_problem(sweep(client, other_tenant, pool["id"], "2026-11-26"), 404, "NOT_FOUND")


@pytest.mark.parametrize("role", ["auditor", "officer"])
def test_readers_may_not_sweep(client: TestClient, tenant: TenantFixture, role: str) -> None:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    response = client.post(
        f"/v1/pools/{pool['id']}/sweeps",
        json={"business_date": "2026-11-26"},
        headers=getattr(tenant, role),
    )
    assert_problem(response, 403, "FORBIDDEN")
