"""Bank statement lines over HTTP: once per bank_ref, against suspense, by value date."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import entry_ids, get_json
from tests.support import TenantFixture, balance, create_entity, open_account

Json = dict[str, Any]


def line(amount: str, value_date: str = "2026-11-20", bank_ref: str | None = None) -> Json:
    """A statement line."""
    return {
        "bank_ref": bank_ref or uuid.uuid4().hex,
        "value_date": value_date,
        "amount": amount,
        "description": "bank line",
    }


def post_lines(client: TestClient, headers: dict[str, str], account_id: str, *lines: Json) -> Json:
    """POST lines that must be accepted (201); return the import summary."""
    response = client.post(
        f"/v1/accounts/{account_id}/statement-lines", json={"lines": list(lines)}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def suspense_of(client: TestClient, headers: dict[str, str], entity_id: str) -> list[Json]:
    """The entity's suspense ledger accounts."""
    ledger = get_json(client, f"/v1/entities/{entity_id}/ledger-accounts", headers)["items"]
    return [item for item in ledger if item["kind"] == "suspense"]


def test_a_bank_ref_seen_before_is_skipped_counted_and_booked_once(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])
    first_line = line("500.00")

    first = post_lines(client, tenant.treasurer, account["id"], first_line)
    second = post_lines(client, tenant.treasurer, account["id"], first_line, line("20.00"))

    assert (first["imported"], first["skipped"]) == (1, 0)
    assert len(first["line_ids"]) == 1
    assert (second["imported"], second["skipped"]) == (1, 1)
    assert second["skipped_bank_refs"] == [first_line["bank_ref"]]
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "520.00"
    assert len(entry_ids(client, tenant.treasurer, account["id"])) == 2
    stored = get_json(client, f"/v1/accounts/{account['id']}/statement-lines", tenant.auditor)
    refs = [item["bank_ref"] for item in stored["items"]]
    assert refs.count(first_line["bank_ref"]) == 1
    assert len(refs) == 2


def test_the_same_bank_ref_on_another_account_is_a_new_line(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    one = open_account(client, tenant.treasurer, entity["id"])
    two = open_account(client, tenant.treasurer, entity["id"])

    post_lines(client, tenant.treasurer, one["id"], line("5.00", bank_ref="REF-1"))
    result = post_lines(client, tenant.treasurer, two["id"], line("7.00", bank_ref="REF-1"))

    assert (result["imported"], result["skipped"]) == (1, 0)
    assert balance(client, tenant.treasurer, two["id"])["balance"] == "7.00"


def test_lines_post_against_the_entitys_suspense_account(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])
    assert suspense_of(client, tenant.treasurer, entity["id"]) == []

    post_lines(client, tenant.treasurer, account["id"], line("800.00"), line("-300.00"))

    suspense = suspense_of(client, tenant.treasurer, entity["id"])
    assert len(suspense) == 1
    assert suspense[0]["currency"] == "CNY"
    assert suspense[0]["balance"] == "-500.00"  # mirror of the bank account's +500.00
    ledger = get_json(client, f"/v1/entities/{entity['id']}/ledger-accounts", tenant.treasurer)
    bank = [item for item in ledger["items"] if item["account_id"] == account["id"]]
    assert [(item["kind"], item["balance"]) for item in bank] == [("bank", "500.00")]
    for entry_id in entry_ids(client, tenant.treasurer, account["id"]):
        entry = get_json(client, f"/v1/journal-entries/{entry_id}", tenant.treasurer)
        assert entry["kind"] == "statement_line"
        [posting] = entry["postings"]
        sides = {posting["debit_account_id"], posting["credit_account_id"]}
        assert sides == {account["id"], suspense[0]["account_id"]}


def test_a_negative_line_reduces_the_balance_even_below_zero(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])
    post_lines(client, tenant.treasurer, account["id"], line("100.00"))

    post_lines(client, tenant.treasurer, account["id"], line("-30.50", "2026-11-21"))
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "69.50"

    # A line is a fact the bank reports: booked whatever the balance.
    post_lines(client, tenant.treasurer, account["id"], line("-100.00", "2026-11-22"))
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "-30.50"


def test_the_balance_as_of_a_date_counts_lines_by_value_date(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])
    post_lines(
        client,
        tenant.treasurer,
        account["id"],
        line("100.00", "2026-11-02"),
        line("40.00", "2026-11-10"),
        line("-15.00", "2026-11-25"),
        line("1.00", "2026-11-30"),
    )

    expected = {
        "2026-11-01": "0.00",
        "2026-11-02": "100.00",
        "2026-11-09": "100.00",
        "2026-11-10": "140.00",
        "2026-11-25": "125.00",
        "2026-11-26": "125.00",
        "2026-11-30": "126.00",
    }
    for as_of, amount in expected.items():
        body = balance(client, tenant.treasurer, account["id"], as_of)
        assert (body["as_of"], body["balance"]) == (as_of, amount)
    today = balance(client, tenant.treasurer, account["id"])
    assert (today["as_of"], today["balance"], today["available"]) == (
        "2026-11-26",
        "125.00",
        "125.00",
    )
    assert set(today) >= {"account_id", "currency", "as_of", "balance", "available"}
    assert today["account_id"] == account["id"]
    assert today["currency"] == "CNY"


def test_lines_of_a_usd_account_are_kept_in_usd(client: TestClient, tenant: TenantFixture) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"], currency="USD")

    post_lines(client, tenant.treasurer, account["id"], line("12.34"))

    body = balance(client, tenant.treasurer, account["id"])
    assert (body["currency"], body["balance"]) == ("USD", "12.34")
    [suspense] = suspense_of(client, tenant.treasurer, entity["id"])
    assert (suspense["currency"], suspense["balance"]) == ("USD", "-12.34")


def test_a_bank_ref_twice_in_one_request_is_refused_whole(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])

    response = client.post(
        f"/v1/accounts/{account['id']}/statement-lines",
        json={"lines": [line("1.00", bank_ref="X"), line("2.00", bank_ref="X")]},
        headers=tenant.treasurer,
    )

    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "0.00"
    assert entry_ids(client, tenant.treasurer, account["id"]) == []
