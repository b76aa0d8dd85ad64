"""Route quotes for wealth products (issue 12 item 12): `/v1/routes/quote` takes the product's
risk rating as a transfer does, and the negative list judges it (regulation.md §3.5 rule 2:
capital-account funds may buy products rated R2 or below, not R3)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem
from tests.support import TenantFixture, create_entity, fund, open_account


def wealth_quote(client: TestClient, tenant: TenantFixture, rating: int | None) -> Any:
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    capital = open_account(client, headers, entity["id"], kind="capital", bank_bic="HBKACNSH")
    fund(client, headers, capital["id"], "50000.00")
    body: dict[str, Any] = {
        "debtor_account_id": capital["id"],
        "creditor": {
            "name": "Bank wealth management subsidiary",
            "country": "CN",
            "bank_bic": "BKCHCNBJ",
            "account": "6222020200445566",
            "address": {"town": "Beijing", "country": "CN"},
        },
        "amount": {"amount": "1000.00", "currency": "CNY"},
        "purpose": "wealth_product",
        "references": {"payment_evidence": "subscription form WM-0001"},
    }
    if rating is not None:
        body["wealth_product_risk_rating"] = rating
    return client.post("/v1/routes/quote", json=body, headers=headers)


@pytest.mark.parametrize(("rating", "status"), [(2, "routed"), (3, "reject")])
def test_a_wealth_product_is_quoted_with_its_risk_rating(
    client: TestClient, tenant: TenantFixture, rating: int, status: str
) -> None:
    response = wealth_quote(client, tenant, rating)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == status, body
    if status == "reject":
        assert body["reasons"] == ["CAPITAL_ACCOUNT_NEGATIVE_LIST"]


def test_a_wealth_product_quote_without_its_rating_is_422(
    client: TestClient, tenant: TenantFixture
) -> None:
    assert_problem(wealth_quote(client, tenant, None), 422, "VALIDATION_ERROR")
