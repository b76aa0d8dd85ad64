"""Screening on the date the money moves (issue 12 item 7): a payment requested on Friday
2025-09-12 after the cut-off goes on Monday 2025-09-15, the day 汇发〔2025〕43号 lifted the
real-estate item of the capital-account negative list (regulation.md §3.2, §3.5 rule 4), so it
is judged by 43号; the same payment before the cut-off goes on Friday and is judged by 16号."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from treasury.clock import FixedClock

FRIDAY = "2025-09-12"


def real_estate_payment(client: TestClient, tenant: TenantFixture) -> Any:
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    capital = open_account(client, headers, entity["id"], kind="capital", bank_bic="HBKACNSH")
    fund(client, headers, capital["id"], "50000.00", value_date="2025-09-01")
    body = {
        "debtor_account_id": capital["id"],
        "creditor": {
            "name": "Shanghai Office Tower Co",
            "country": "CN",
            "bank_bic": "BKCHCNBJ",
            "account": "6222020200112233",
            "address": {"town": "Shanghai", "country": "CN"},
        },
        "amount": {"amount": "1000.00", "currency": "CNY"},
        "value_date": FRIDAY,
        "purpose": "real_estate",
        "references": {"payment_evidence": "purchase contract SH-2025-0912"},
        "remark": "office floor 12",
    }
    response = post_transfer(client, headers, body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("instant", "status", "value_date"),
    [
        # 10:30 on Friday in Shanghai: paid Friday, judged by 16号 (real estate banned)
        (datetime(2025, 9, 12, 2, 30, tzinfo=UTC), "rejected", None),
        # 17:30 on Friday, after the cut-off: paid Monday, judged by 43号
        (datetime(2025, 9, 12, 9, 30, tzinfo=UTC), "booked", "2025-09-15"),
    ],
)
def test_a_payment_is_screened_on_the_date_its_money_moves(
    client: TestClient,
    tenant: TenantFixture,
    clock: FixedClock,
    instant: datetime,
    status: str,
    value_date: str | None,
) -> None:
    clock.instant = instant
    transfer = real_estate_payment(client, tenant)
    assert transfer["status"] == status, transfer["findings"]
    if value_date is None:
        (block,) = [f for f in transfer["findings"] if f["severity"] == "block"]
        assert block["rule"] == "CAPITAL_ACCOUNT_NEGATIVE_LIST"
        assert "2023-28" in block["rule_version"]
    else:
        assert transfer["route"]["value_date"] == value_date
        assert transfer["value_date"] == value_date
