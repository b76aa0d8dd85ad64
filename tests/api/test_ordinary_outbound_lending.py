"""Ordinary (non-pool) outbound lending (issue 12 item 8; regulation.md §1.4(e), §1.9 rule 9):
an onshore entity lends to offshore affiliates up to owners' equity × ordinary_ol.coeff (0.5),
less what it concentrates in a 251 filing; with r = 100 % it lends only through the master."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.api.test_pool_api import create_pool, make_group
from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer


def loan(
    client: TestClient,
    tenant: TenantFixture,
    debtor: str,
    creditor: str,
    amount: str,
    purpose: str = "loan",
) -> Any:
    body = {
        "debtor_account_id": debtor,
        "creditor_account_id": creditor,
        "amount": {"amount": amount, "currency": "CNY"},
        "value_date": "2026-11-26",
        "purpose": purpose,
        "bop_code": "822020",
        "references": {"registration": "SAFE-OL-2026-01"},
    }
    response = post_transfer(client, tenant.treasurer, body)
    assert response.status_code == 201, response.text
    return response.json()


def rules(transfer: Any) -> list[str]:
    return [f["rule"] for f in transfer["findings"] if f["severity"] in ("block", "review")]


def test_loans_to_an_offshore_affiliate_stay_within_half_the_equity(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    lender = create_entity(client, headers, owners_equity={"amount": "1000.00", "currency": "CNY"})
    borrower = create_entity(client, headers, country="HK", name="HK Trading Ltd")
    onshore = open_account(client, headers, lender["id"])["id"]
    offshore = open_account(client, headers, borrower["id"])["id"]
    fund(client, headers, onshore, "10000.00")
    fund(client, headers, offshore, "10000.00")

    assert loan(client, tenant, onshore, offshore, "300.00")["status"] == "booked"
    over = loan(client, tenant, onshore, offshore, "200.01")  # 500.01 > 1,000 × 0.5
    assert (over["status"], rules(over)) == ("rejected", ["OUTBOUND_LENDING_CAP"])
    assert loan(client, tenant, onshore, offshore, "200.00")["status"] == "booked"
    view = get_json(client, f"/v1/entities/{lender['id']}/cross-border-financing", headers)
    assert view["outbound_lending"]["cap"]["amount"] == "500.00"
    assert view["outbound_lending"]["headroom"]["amount"] == "0.00"

    repaid = loan(client, tenant, offshore, onshore, "100.00", purpose="loan_repayment")
    assert repaid["status"] == "booked", repaid["findings"]
    assert loan(client, tenant, onshore, offshore, "100.00")["status"] == "booked"


def test_a_member_concentrating_all_its_lending_lends_only_through_the_master(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)  # the onshore member concentrates r = 1
    assert create_pool(client, tenant, group).status_code == 201
    fund(client, tenant.treasurer, group.onshore_account, "1000.00")
    refused = loan(client, tenant, group.onshore_account, group.offshore_account, "1.00")
    assert (refused["status"], rules(refused)) == ("rejected", ["OUTBOUND_LENDING_VIA_MASTER"])
    # the host concentrates nothing: its own account lends within half its equity
    fund(client, tenant.treasurer, group.host_account, "1000.00")
    own = loan(client, tenant, group.host_account, group.offshore_account, "1.00")
    assert own["status"] == "booked", own["findings"]
