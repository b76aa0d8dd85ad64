"""Input bounds found by the schemathesis run: each was a 500 (or an off-catalogue 400) before."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import FundedAccounts, Json, assert_problem, get_json, ledger_state
from tests.support import TenantFixture, post_transfer, transfer_body


def test_a_body_that_is_not_utf8_is_a_validation_error(
    client: TestClient, tenant: TenantFixture
) -> None:
    response = client.post(
        "/v1/entities",
        content=b'"\xff\xfe not utf-8"',
        headers={**tenant.treasurer, "Content-Type": "application/json"},
    )
    assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/entities", tenant.treasurer)["items"] == []


HUGE = "9" * 30


@pytest.mark.parametrize(
    "amount", [HUGE, "1" + "0" * 15 + ".00", "99999999999999999999999999999.001"]
)
def test_an_amount_beyond_what_is_stored_is_refused(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, amount: str
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    transfer = transfer_body(books.cny["id"], books.cny_other["id"], amount)
    line = {"bank_ref": uuid.uuid4().hex, "value_date": "2026-11-20", "amount": amount}
    account = {
        "entity_id": books.entity["id"],
        "currency": "CNY",
        "number": "huge",
        "overdraft_limit": {"amount": amount, "currency": "CNY"},
    }
    entity: Json = {"code": "HUGE", "name": "H", "country": "CN"}
    entity["owners_equity"] = {"amount": amount, "currency": "CNY"}

    responses = [
        post_transfer(client, tenant.treasurer, transfer),
        client.post(
            f"/v1/accounts/{books.cny['id']}/statement-lines",
            json={"lines": [line]},
            headers=tenant.treasurer,
        ),
        client.post("/v1/accounts", json=account, headers=tenant.treasurer),
        client.post("/v1/entities", json=entity, headers=tenant.treasurer),
    ]

    for response in responses:
        assert_problem(response, 422, "VALIDATION_ERROR")
    assert ledger_state(client, tenant.treasurer, *books.ids) == before
    assert len(get_json(client, "/v1/entities", tenant.treasurer)["items"]) == 2


def test_the_largest_amount_accepted_is_booked(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    line = {
        "bank_ref": uuid.uuid4().hex,
        "value_date": "2026-11-20",
        "amount": "999999999999999.99",
    }
    response = client.post(
        f"/v1/accounts/{books.cny_other['id']}/statement-lines",
        json={"lines": [line]},
        headers=tenant.treasurer,
    )
    assert response.status_code == 201, response.text
    body = get_json(client, f"/v1/accounts/{books.cny_other['id']}/balance", tenant.treasurer)
    assert body["balance"] == "999999999999999.99"


@pytest.mark.parametrize("rate", ["1" + "0" * 20, "1E+30", "1E+999999999", "1e-40"])
def test_an_fx_rate_that_converts_beyond_any_amount_or_to_nothing_is_refused(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, rate: str
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    body = transfer_body(books.cny["id"], books.usd["id"], "1.00", fx_rate=rate)

    assert_problem(post_transfer(client, tenant.treasurer, body), 422, "VALIDATION_ERROR")
    assert ledger_state(client, tenant.treasurer, *books.ids) == before


@pytest.mark.parametrize("path", ["/v1/transfers", "/v1/reviews"])
def test_a_page_size_beyond_the_databases_integers_is_a_validation_error(
    client: TestClient, tenant: TenantFixture, path: str
) -> None:
    response = client.get(f"{path}?limit={2**63}", headers=tenant.treasurer)
    assert_problem(response, 422, "VALIDATION_ERROR")


def test_a_counterpartys_country_cannot_be_cleared(
    client: TestClient, tenant: TenantFixture
) -> None:
    made = client.post(
        "/v1/counterparties", json={"name": "Acme", "country": "DE"}, headers=tenant.treasurer
    )
    path = f"/v1/counterparties/{made.json()['id']}"

    response = client.patch(path, json={"country": None}, headers=tenant.treasurer)

    assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, path, tenant.treasurer)["country"] == "DE"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/entities/%00",
        "/v1/accounts?entity_id=%00",
        "/v1/parameters?name=a%00b",
        "/v1/journal-entries?account_id=%00",
        "/v1/transfers/x%00y",
    ],
)
def test_a_nul_character_in_the_path_or_query_is_a_validation_error(
    client: TestClient, tenant: TenantFixture, path: str
) -> None:
    assert_problem(client.get(path, headers=tenant.treasurer), 422, "VALIDATION_ERROR")


def test_a_nul_character_in_a_body_is_a_validation_error(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    bodies: list[tuple[str, Json]] = [
        ("/v1/entities", {"code": "N\x00L", "name": "Nul", "country": "CN"}),
        (
            "/v1/counterparties",
            {"name": "Acme", "country": "DE", "address": {"town": "\x00", "country": "DE"}},
        ),
        (
            f"/v1/accounts/{books.cny['id']}/statement-lines",
            {"lines": [{"bank_ref": "r\x00", "value_date": "2026-11-20", "amount": "1.00"}]},
        ),
    ]
    before = ledger_state(client, tenant.treasurer, *books.ids)

    for path, body in bodies:
        response = client.post(path, json=body, headers=tenant.treasurer)
        assert_problem(response, 422, "VALIDATION_ERROR")

    assert ledger_state(client, tenant.treasurer, *books.ids) == before
    assert get_json(client, "/v1/counterparties", tenant.treasurer)["items"] == []
