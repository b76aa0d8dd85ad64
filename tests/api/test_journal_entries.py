"""Journal entries over HTTP: filters by account and value-date period, reversals (invariant 2)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    open_account,
    post_transfer,
    transfer_body,
)

Json = dict[str, Any]


def import_line(
    client: TestClient, headers: dict[str, str], account_id: str, amount: str, value_date: str
) -> str:
    """Book one statement line; return its journal entry id."""
    line = {"bank_ref": uuid.uuid4().hex, "value_date": value_date, "amount": amount}
    response = client.post(
        f"/v1/accounts/{account_id}/statement-lines", json={"lines": [line]}, headers=headers
    )
    assert response.status_code == 201, response.text
    stored = get_json(client, f"/v1/accounts/{account_id}/statement-lines", headers)["items"]
    [entry_id] = [
        item["journal_entry_id"] for item in stored if item["bank_ref"] == line["bank_ref"]
    ]
    assert isinstance(entry_id, str)
    return entry_id


def listed(client: TestClient, headers: dict[str, str], query: str) -> list[str]:
    """Ids of the entries GET /v1/journal-entries returns for a query."""
    return [
        entry["id"] for entry in get_json(client, f"/v1/journal-entries?{query}", headers)["items"]
    ]


def test_entries_are_filtered_by_account_and_value_date_period(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    one = open_account(client, headers, entity["id"])
    two = open_account(client, headers, entity["id"])
    early = import_line(client, headers, one["id"], "100.00", "2026-11-02")
    middle = import_line(client, headers, one["id"], "50.00", "2026-11-15")
    late = import_line(client, headers, one["id"], "-20.00", "2026-11-25")
    elsewhere = import_line(client, headers, two["id"], "70.00", "2026-11-15")

    assert set(listed(client, headers, f"account_id={one['id']}")) == {early, middle, late}
    assert listed(client, headers, f"account_id={two['id']}") == [elsewhere]
    period = f"account_id={one['id']}&from=2026-11-02&to=2026-11-15"
    assert set(listed(client, headers, period)) == {early, middle}  # both ends inclusive
    assert listed(client, headers, f"account_id={one['id']}&from=2026-11-16") == [late]
    assert listed(client, headers, f"account_id={one['id']}&to=2026-11-01") == []
    assert set(listed(client, headers, "from=2026-11-15&to=2026-11-15")) == {middle, elsewhere}
    assert set(listed(client, headers, "")) == {early, middle, late, elsewhere}


def test_an_unknown_account_filter_is_404(client: TestClient, tenant: TenantFixture) -> None:
    response = client.get(f"/v1/journal-entries?account_id={uuid.uuid4()}", headers=tenant.auditor)
    assert_problem(response, 404, "NOT_FOUND")


def test_an_entry_shows_its_postings(client: TestClient, tenant: TenantFixture) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])
    entry_id = import_line(client, tenant.treasurer, account["id"], "-12.50", "2026-11-20")

    entry = get_json(client, f"/v1/journal-entries/{entry_id}", tenant.auditor)

    assert entry["id"] == entry_id
    assert entry["value_date"] == "2026-11-20"
    assert entry["kind"] == "statement_line"
    assert entry["reverses_entry_id"] is None
    [posting] = entry["postings"]
    assert posting["credit_account_id"] == account["id"]  # money out of the bank account
    assert posting["amount"] == {"amount": "12.50", "currency": "CNY"}


def test_a_statement_line_entry_is_reversed_once_and_the_balance_restored(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    account = open_account(client, headers, entity["id"])
    import_line(client, headers, account["id"], "100.00", "2026-11-02")
    wrong = import_line(client, headers, account["id"], "40.00", "2026-11-10")
    assert balance(client, headers, account["id"])["balance"] == "140.00"

    response = client.post(
        f"/v1/journal-entries/{wrong}/reversal", json={"reason": "posted in error"}, headers=headers
    )

    assert response.status_code == 201, response.text
    reversal = response.json()
    assert reversal["reverses_entry_id"] == wrong
    assert reversal["value_date"] == "2026-11-10"
    original = get_json(client, f"/v1/journal-entries/{wrong}", headers)
    [forward], [back] = original["postings"], reversal["postings"]
    assert (back["debit_account_id"], back["credit_account_id"]) == (
        forward["credit_account_id"],
        forward["debit_account_id"],
    )
    assert back["amount"] == forward["amount"]
    assert balance(client, headers, account["id"])["balance"] == "100.00"
    assert balance(client, headers, account["id"], "2026-11-09")["balance"] == "100.00"
    ledger = get_json(client, f"/v1/entities/{entity['id']}/ledger-accounts", headers)["items"]
    assert [item["balance"] for item in ledger if item["kind"] == "suspense"] == ["-100.00"]

    again = client.post(
        f"/v1/journal-entries/{wrong}/reversal", json={"reason": "posted in error"}, headers=headers
    )
    assert_problem(again, 409, "ENTRY_ALREADY_REVERSED")
    assert balance(client, headers, account["id"])["balance"] == "100.00"
    assert reversal["id"] in listed(client, headers, f"account_id={account['id']}")


def test_a_reversal_may_carry_its_own_value_date(client: TestClient, tenant: TenantFixture) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    account = open_account(client, headers, entity["id"])
    wrong = import_line(client, headers, account["id"], "40.00", "2026-11-10")

    response = client.post(
        f"/v1/journal-entries/{wrong}/reversal",
        json={"value_date": "2026-11-20", "reason": "posted in error"},
        headers=headers,
    )

    assert response.status_code == 201, response.text
    assert response.json()["value_date"] == "2026-11-20"
    assert balance(client, headers, account["id"], "2026-11-19")["balance"] == "40.00"
    assert balance(client, headers, account["id"], "2026-11-20")["balance"] == "0.00"


def test_a_transfers_entry_is_not_reversed_here(client: TestClient, tenant: TenantFixture) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    debtor = open_account(client, headers, entity["id"])
    creditor = open_account(client, headers, entity["id"])
    import_line(client, headers, debtor["id"], "100.00", "2026-11-02")
    transfer = post_transfer(client, headers, transfer_body(debtor["id"], creditor["id"], "60.00"))
    journal_id = transfer.json()["journal_id"]

    response = client.post(
        f"/v1/journal-entries/{journal_id}/reversal",
        json={"reason": "posted in error"},
        headers=headers,
    )

    assert_problem(response, 409, "CONFLICT")
    assert balance(client, headers, debtor["id"])["balance"] == "40.00"
    assert balance(client, headers, creditor["id"])["balance"] == "60.00"
    assert get_json(client, f"/v1/transfers/{transfer.json()['id']}", headers)["status"] == "booked"


def test_reversals_need_a_writer_and_a_known_entry(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])
    entry_id = import_line(client, tenant.treasurer, account["id"], "10.00", "2026-11-02")

    for headers in (tenant.auditor, tenant.officer):
        response = client.post(
            f"/v1/journal-entries/{entry_id}/reversal",
            json={"reason": "posted in error"},
            headers=headers,
        )
        assert_problem(response, 403, "FORBIDDEN")
    unknown = client.post(
        f"/v1/journal-entries/{uuid.uuid4()}/reversal",
        json={"reason": "posted in error"},
        headers=tenant.treasurer,
    )
    assert_problem(unknown, 404, "NOT_FOUND")
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "10.00"
