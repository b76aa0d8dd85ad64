"""The partner bank of an integrated pool (issue 12 item 10; regulation.md §1.2): the bank
holding the master account must be located in the host's province — the host files with its
provincial SAFE branch — and a bank that no longer meets that condition serves only the business
already filed: no new pool clients. Where a province is not on record the check cannot be made,
and the pools' positions say so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_pool_api import SHANGHAI, Group, create_pool, make_group, sweep
from tests.support import TenantFixture, create_entity, fund, open_account


def with_master_at(
    client: TestClient, tenant: TenantFixture, group: Group, province: str | None
) -> Group:
    fields: dict[str, Any] = {"kind": "pool_master"}
    if province is not None:
        fields["branch_subdivision"] = province
    group.master = open_account(client, tenant.treasurer, group.host["id"], **fields)["id"]
    return group


@pytest.mark.parametrize(
    ("province", "status"),
    [("Shanghai", 201), ("shanghai ", 201), ("Beijing", 422)],
)
def test_the_partner_bank_is_in_the_hosts_province(
    client: TestClient, tenant: TenantFixture, province: str, status: int
) -> None:
    group = with_master_at(client, tenant, make_group(client, tenant), province)
    response = create_pool(client, tenant, group)
    if status == 201:
        assert response.status_code == 201, response.text
        positions = get_json(
            client, f"/v1/pools/{response.json()['id']}/positions", tenant.treasurer
        )
        assert positions["alerts"] == []
        return
    detail = assert_problem(response, 422, "POOL_INELIGIBLE")["detail"]
    assert "§1.2 partner bank" in detail
    assert "Beijing" in detail
    assert "Shanghai" in detail


def test_a_partner_bank_that_no_longer_qualifies_takes_no_new_pool_clients(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)  # host and master's branch in Shanghai
    pool = create_pool(client, tenant, group).json()
    headers = tenant.treasurer
    moved = client.patch(
        f"/v1/entities/{group.host['id']}",
        json={"address": {**SHANGHAI, "town": "Suzhou", "subdivision": "Jiangsu"}},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    newcomer = create_entity(client, headers, country="HK")
    account = open_account(client, headers, newcomer["id"])["id"]
    refused = client.post(
        f"/v1/pools/{pool['id']}/members",
        json={"members": [{"account_id": account, "rule": "zero_balance"}]},
        headers=headers,
    )
    assert "§1.2 partner bank" in assert_problem(refused, 422, "POOL_INELIGIBLE")["detail"]
    # the business already filed goes on: the pool still sweeps its members
    fund(client, headers, group.offshore_account, "10.00")
    run = sweep(client, tenant, pool["id"], "2026-11-26")
    assert run.status_code == 201, run.text
    assert [leg["status"] for leg in run.json()["legs"]] == ["booked"]


def test_a_province_not_on_record_is_shown_as_unverified(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = with_master_at(client, tenant, make_group(client, tenant), None)
    response = create_pool(client, tenant, group)
    assert response.status_code == 201, response.text
    (alert,) = get_json(client, f"/v1/pools/{response.json()['id']}/positions", tenant.auditor)[
        "alerts"
    ]
    assert "§1.2 partner bank" in alert
    assert group.master in alert
    assert "branch_subdivision" in alert
