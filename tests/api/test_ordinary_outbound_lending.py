"""Ordinary (non-pool) outbound lending (issue 12 item 8; regulation.md §1.4(e), §1.9 rule 9):
an onshore entity lends to offshore affiliates up to owners' equity × ordinary_ol.coeff (0.5),
less what it concentrates in a 251 filing; with r = 100 % it lends only through the master; an
FX-denominated loan counts 1 + rmb.ol_ccy_factor (1.5) times its CNY equivalent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.api.test_pool_api import create_pool, make_group
from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from treasury.clock import FixedClock


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
    lender = create_entity(
        client,
        headers,
        owners_equity={"amount": "1000.00", "currency": "CNY"},
        established_on="2015-01-01",
    )
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
    established = client.patch(
        f"/v1/entities/{group.host['id']}",
        json={"established_on": "2015-01-01"},
        headers=tenant.treasurer,
    )
    assert established.status_code == 200, established.text
    fund(client, tenant.treasurer, group.host_account, "1000.00")
    own = loan(client, tenant, group.host_account, group.offshore_account, "1.00")
    assert own["status"] == "booked", own["findings"]


RATE_DAY = "2026-10-14"  # a day of this test's own: reference rates are system-wide


def lend(
    client: TestClient,
    tenant: TenantFixture,
    debtor: str,
    creditor: str,
    amount: dict[str, str],
) -> Any:
    body = {
        "debtor_account_id": debtor,
        "creditor_account_id": creditor,
        "amount": amount,
        "value_date": RATE_DAY,
        "purpose": "loan",
        "bop_code": "822020",
        "references": {"registration": "SAFE-OL-2026-02"},
    }
    response = post_transfer(client, tenant.treasurer, body)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_fx_loan_uses_one_and_a_half_times_its_value_of_the_cap(
    client: TestClient,
    tenant: TenantFixture,
    operator_headers: dict[str, str],
    clock: FixedClock,
) -> None:
    """regulation.md §1.4(e) with the currency conversion factor rmb.ol_ccy_factor = 0.5 (§6):
    the balance is Σ loans (CNY equivalent) + Σ FX-denominated loans × 0.5, as §1.8 works it.
    Equity 1,000.00 → cap 500.00; at USDCNY 7.5 a USD 20.00 loan (CNY 150.00) uses 225.00, so
    the largest further USD loan is 275.00 / 1.5 / 7.5 = USD 24.44 (a cent more is over)."""
    rate = {"date": RATE_DAY, "pair": "USDCNY", "rate": "7.5", "source": "test"}
    assert (
        client.post("/v1/reference-rates", json=rate, headers=operator_headers).status_code == 201
    )
    clock.instant = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    headers = tenant.treasurer
    lender = create_entity(
        client,
        headers,
        owners_equity={"amount": "1000.00", "currency": "CNY"},
        established_on="2015-01-01",
    )
    borrower = create_entity(client, headers, country="HK", name="HK Trading Ltd")
    usd = open_account(client, headers, lender["id"], currency="USD", bank_bic="HBKACNSH")["id"]
    cny = open_account(client, headers, lender["id"])["id"]
    offshore_usd = open_account(
        client, headers, borrower["id"], currency="USD", bank_bic="BKCHHKHH"
    )["id"]
    offshore_cny = open_account(client, headers, borrower["id"])["id"]
    fund(client, headers, usd, "1000.00", value_date="2026-10-09")
    fund(client, headers, cny, "1000.00", value_date="2026-10-09")

    def usd_amount(value: str) -> dict[str, str]:
        return {"amount": value, "currency": "USD"}

    first = lend(client, tenant, usd, offshore_usd, usd_amount("20.00"))
    assert first["status"] == "booked", first["findings"]
    over = lend(client, tenant, usd, offshore_usd, usd_amount("24.45"))  # 225 + 275.0625
    assert (over["status"], rules(over)) == ("rejected", ["OUTBOUND_LENDING_CAP"])
    assert "rmb.ol_ccy_factor=0.5@2016-11-29" in over["findings"][0]["rule_version"]
    within = lend(client, tenant, usd, offshore_usd, usd_amount("24.44"))  # 225 + 274.95
    assert within["status"] == "booked", within["findings"]

    view = get_json(
        client,
        f"/v1/entities/{lender['id']}/cross-border-financing?as_of={RATE_DAY}",
        headers,
    )["outbound_lending"]
    assert view["cap"]["amount"] == "500.00"
    assert view["outstanding"]["amount"] == "333.30"  # (20.00 + 24.44) × 7.5
    assert view["outstanding_foreign_currency"]["amount"] == "333.30"
    assert view["currency_factor"] == "0.5"
    assert view["used"]["amount"] == "499.95"  # 333.30 × 1.5
    assert view["headroom"]["amount"] == "0.05"

    # an RMB loan uses 1× its value: 0.05 reaches the cap exactly, 0.06 goes over it
    cny_over = lend(client, tenant, cny, offshore_cny, {"amount": "0.06", "currency": "CNY"})
    assert (cny_over["status"], rules(cny_over)) == ("rejected", ["OUTBOUND_LENDING_CAP"])
    cny_within = lend(client, tenant, cny, offshore_cny, {"amount": "0.05", "currency": "CNY"})
    assert cny_within["status"] == "booked", cny_within["findings"]


@pytest.mark.parametrize(
    ("established_on", "status", "severity"),
    [
        ("2025-11-26", "booked", None),  # a year to the day before the loan: established a year
        ("2025-11-27", "rejected", "block"),  # a day short of a year
        (None, "held", "review"),  # no date on record: an officer sees it
    ],
)
def test_a_lender_must_have_been_established_for_a_year(
    client: TestClient,
    tenant: TenantFixture,
    established_on: str | None,
    status: str,
    severity: str | None,
) -> None:
    """regulation.md §1.4(e): the lender has been established ≥ 1 year
    (ordinary_ol.min_years_established), judged on the loan's value date 2026-11-26."""
    headers = tenant.treasurer
    fields: dict[str, Any] = {"owners_equity": {"amount": "1000.00", "currency": "CNY"}}
    if established_on is not None:
        fields["established_on"] = established_on
    lender = create_entity(client, headers, **fields)
    borrower = create_entity(client, headers, country="HK", name="HK Trading Ltd")
    onshore = open_account(client, headers, lender["id"])["id"]
    offshore = open_account(client, headers, borrower["id"])["id"]
    fund(client, headers, onshore, "1000.00")
    made = loan(client, tenant, onshore, offshore, "100.00")
    assert made["status"] == status, made["findings"]
    found = [f for f in made["findings"] if f["rule"] == "OUTBOUND_LENDING_LENDER_AGE"]
    assert [f["severity"] for f in found] == ([] if severity is None else [severity])
    if found:
        assert "ordinary_ol.min_years_established=1@2016-11-29" in found[0]["rule_version"]
