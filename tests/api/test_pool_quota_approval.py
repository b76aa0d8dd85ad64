"""Approving a sweep leg held over a pool quota over HTTP (SQLite and PostgreSQL): 422
POOL_QUOTA_EXCEEDED and nothing changed while it does not fit; booked once it does."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_pool_api import cny, make_group, pool_body, sweep
from tests.support import TenantFixture, balance, fund


def decide(client: TestClient, tenant: TenantFixture, review_id: str, decision: str) -> Any:
    return client.post(
        f"/v1/reviews/{review_id}/decision",
        json={"decision": decision, "reason": "pool leg reviewed"},
        headers=tenant.officer,
    )


def test_a_held_leg_is_approved_only_once_it_fits_the_quota(
    client: TestClient, tenant: TenantFixture
) -> None:
    patched = client.patch(
        "/v1/settings",
        json={"pool_quota_breach_policy": {"default": "hold"}},
        headers=tenant.admin,
    )
    assert patched.status_code == 200, patched.text
    group = make_group(client, tenant)
    host = f"/v1/entities/{group.host['id']}"
    # FD quota 100 × 2 × 1.75 = 350.00; the 1,000.00 leg would use 1,500.00 of it
    client.patch(host, json={"owners_equity": cny("100.00")}, headers=tenant.treasurer)
    body = pool_body(group)
    body["members"][1].pop("concentration_ratio")
    pool = client.post("/v1/pools", json=body, headers=tenant.treasurer).json()
    client.patch(
        f"/v1/entities/{group.onshore['id']}",
        json={"owners_equity": cny("0.00")},
        headers=tenant.treasurer,
    )
    fund(client, tenant.treasurer, group.offshore_account, "1000.00")
    (leg,) = sweep(client, tenant, pool["id"], "2026-11-26").json()["legs"]
    assert leg["status"] == "held"
    transfer_path = f"/v1/transfers/{leg['transfer_id']}"
    review_id = get_json(client, transfer_path, tenant.treasurer)["review_id"]

    problem = assert_problem(
        decide(client, tenant, review_id, "approve"), 422, "POOL_QUOTA_EXCEEDED"
    )

    assert "foreign_debt" in problem["detail"]
    review = get_json(client, f"/v1/reviews/{review_id}", tenant.officer)
    assert (review["status"], review["decisions"]) == ("pending", [])
    assert get_json(client, transfer_path, tenant.treasurer)["status"] == "held"
    offshore = balance(client, tenant.treasurer, group.offshore_account)
    assert (offshore["balance"], offshore["available"]) == ("1000.00", "0.00")

    client.patch(host, json={"owners_equity": cny("1000.00")}, headers=tenant.treasurer)
    approved = decide(client, tenant, review_id, "approve")

    assert approved.status_code == 200, approved.text
    assert get_json(client, transfer_path, tenant.treasurer)["status"] == "booked"
    assert balance(client, tenant.treasurer, group.offshore_account)["balance"] == "0.00"
    assert balance(client, tenant.treasurer, group.master)["balance"] == "1000.00"
