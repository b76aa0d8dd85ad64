"""Fixtures of the HTTP tests: funded books."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import FundedAccounts
from tests.support import TenantFixture, create_entity, fund, open_account


@pytest.fixture
def books(client: TestClient, tenant: TenantFixture) -> FundedAccounts:
    """The tenant's accounts, funded."""
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    hk_entity = create_entity(client, headers, country="HK", name="HK Treasury Ltd")
    books = FundedAccounts(
        entity=entity,
        cny=open_account(client, headers, entity["id"]),
        cny_other=open_account(client, headers, entity["id"]),
        usd=open_account(client, headers, entity["id"], currency="USD"),
        jpy=open_account(client, headers, entity["id"], currency="JPY"),
        hk=open_account(client, headers, hk_entity["id"], bank_bic="BKCHHKHH"),
    )
    fund(client, headers, books.cny["id"], "1000.00")
    fund(client, headers, books.jpy["id"], "100000")
    fund(client, headers, books.hk["id"], "1000.00")
    return books
