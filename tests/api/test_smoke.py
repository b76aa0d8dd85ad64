"""A first walk through the API: entity, accounts, funding, a booked transfer."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)


def test_internal_transfer_is_booked_and_moves_balances(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"])
    creditor = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, debtor["id"], "1000.00")

    response = post_transfer(
        client, tenant.treasurer, transfer_body(debtor["id"], creditor["id"], "400.00")
    )

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "booked"
    assert response.json()["route"]["rail"] == "BOOK"
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "600.00"
    assert balance(client, tenant.treasurer, creditor["id"])["balance"] == "400.00"
