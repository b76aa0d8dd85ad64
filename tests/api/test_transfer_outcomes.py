"""Business outcomes of transfers: rejected on record, overdrafts, FX legs, value dates."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import entry_ids, get_json, ledger_state
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)

Json = dict[str, Any]


def accounts(
    client: TestClient, tenant: TenantFixture, funding: str, **debtor_fields: Any
) -> tuple[Json, Json, Json]:
    """An entity with a funded debtor account and a creditor account (CNY, one bank)."""
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"], **debtor_fields)
    creditor = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, debtor["id"], funding)
    return entity, debtor, creditor


def created(response: Any) -> Json:
    """A 201 transfer body."""
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def test_a_transfer_beyond_the_balance_is_rejected_on_record(
    client: TestClient, tenant: TenantFixture
) -> None:
    _, debtor, creditor = accounts(client, tenant, "100.00")
    before = ledger_state(client, tenant.treasurer, debtor["id"], creditor["id"])

    body = created(
        post_transfer(
            client, tenant.treasurer, transfer_body(debtor["id"], creditor["id"], "100.01")
        )
    )

    assert body["status"] == "rejected"
    assert "INSUFFICIENT_FUNDS" in [finding["rule"] for finding in body["findings"]]
    funds = next(f for f in body["findings"] if f["rule"] == "INSUFFICIENT_FUNDS")
    assert funds["severity"] == "block"
    assert body["journal_id"] is None
    assert body["route"] is None
    after = ledger_state(client, tenant.treasurer, debtor["id"], creditor["id"])
    assert after.balances == before.balances
    assert after.entries == before.entries
    # The refusal is on record: listed, readable, and filtered by status.
    assert after.transfers == [body["id"], *before.transfers]
    assert get_json(client, f"/v1/transfers/{body['id']}", tenant.auditor)["status"] == "rejected"
    rejected = get_json(client, "/v1/transfers?status=rejected", tenant.auditor)["items"]
    assert [item["id"] for item in rejected] == [body["id"]]
    assert get_json(client, "/v1/transfers?status=booked", tenant.auditor)["items"] == []


def test_the_whole_balance_can_be_spent(client: TestClient, tenant: TenantFixture) -> None:
    _, debtor, creditor = accounts(client, tenant, "100.00")

    body = created(
        post_transfer(
            client, tenant.treasurer, transfer_body(debtor["id"], creditor["id"], "100.00")
        )
    )

    assert body["status"] == "booked"
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "0.00"


def test_money_credited_with_a_later_value_date_cannot_pay_an_earlier_payment(
    client: TestClient, tenant: TenantFixture
) -> None:
    _, debtor, creditor = accounts(client, tenant, "100.00")
    fund(client, tenant.treasurer, debtor["id"], "500.00", value_date="2026-11-30")

    def pay(amount: str, value_date: str) -> Json:
        body = {**transfer_body(debtor["id"], creditor["id"], amount), "value_date": value_date}
        return created(post_transfer(client, tenant.treasurer, body))

    # 600 on the books, but only 100 of it is there before Monday 30 November.
    today = pay("300.00", "2026-11-26")
    assert today["status"] == "rejected"
    funds = next(f for f in today["findings"] if f["rule"] == "INSUFFICIENT_FUNDS")
    assert "100.00" in funds["message"]
    assert pay("300.00", "2026-11-30")["status"] == "booked"
    # Running balance 300; on the 26th still 100, since the 30th brings a net +200.
    assert pay("100.01", "2026-11-26")["status"] == "rejected"
    assert pay("100.00", "2026-11-26")["status"] == "booked"
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "0.00"
    assert balance(client, tenant.treasurer, debtor["id"], "2026-11-30")["balance"] == "200.00"


def test_an_overdraft_limit_extends_what_can_be_spent_and_no_further(
    client: TestClient, tenant: TenantFixture
) -> None:
    limit = {"amount": "500.00", "currency": "CNY"}
    _, debtor, creditor = accounts(client, tenant, "1000.00", overdraft_limit=limit)
    assert debtor["overdraft_limit"] == limit

    first = created(
        post_transfer(
            client, tenant.treasurer, transfer_body(debtor["id"], creditor["id"], "1400.00")
        )
    )
    assert first["status"] == "booked", first
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "-400.00"

    second = created(
        post_transfer(
            client, tenant.treasurer, transfer_body(debtor["id"], creditor["id"], "100.01")
        )
    )
    assert second["status"] == "rejected"
    assert [f["rule"] for f in second["findings"]] == ["INSUFFICIENT_FUNDS"]
    assert second["journal_id"] is None

    third = created(
        post_transfer(
            client, tenant.treasurer, transfer_body(debtor["id"], creditor["id"], "100.00")
        )
    )
    assert third["status"] == "booked"
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "-500.00"
    assert balance(client, tenant.treasurer, creditor["id"])["balance"] == "1500.00"


def test_a_cross_currency_transfer_books_two_legs_through_fx_clearing(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    cny = open_account(client, tenant.treasurer, entity["id"])
    usd = open_account(client, tenant.treasurer, entity["id"], currency="USD")
    fund(client, tenant.treasurer, cny["id"], "1000.00")
    # 100.75 CNY × 0.14 = 14.105 USD: half-even gives 14.10 (half-up would give 14.11). A rate
    # near the market's: one far off it is held for review (FX_RATE_OFF_MARKET).
    request = transfer_body(cny["id"], usd["id"], "100.75", fx_rate="0.14")

    body = created(post_transfer(client, tenant.treasurer, request))

    assert body["status"] == "booked", body
    assert body["creditor_amount"] == {"amount": "14.10", "currency": "USD"}
    assert body["fx_rate"] == "0.14"
    assert balance(client, tenant.treasurer, cny["id"])["balance"] == "899.25"
    assert balance(client, tenant.treasurer, usd["id"])["balance"] == "14.10"

    ledger = get_json(client, f"/v1/entities/{entity['id']}/ledger-accounts", tenant.treasurer)
    clearing = {item["currency"]: item for item in ledger["items"] if item["kind"] == "fx_clearing"}
    assert set(clearing) == {"CNY", "USD"}
    assert clearing["CNY"]["balance"] == "100.75"
    assert clearing["USD"]["balance"] == "-14.10"

    entry = get_json(client, f"/v1/journal-entries/{body['journal_id']}", tenant.auditor)
    assert entry["kind"] == "transfer"
    assert entry["source_id"] == body["id"]
    legs = {(p["debit_account_id"], p["credit_account_id"]): p["amount"] for p in entry["postings"]}
    assert legs == {
        (clearing["CNY"]["account_id"], cny["id"]): {"amount": "100.75", "currency": "CNY"},
        (usd["id"], clearing["USD"]["account_id"]): {"amount": "14.10", "currency": "USD"},
    }


def test_a_rounding_half_even_rounds_up_past_the_half(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    cny = open_account(client, tenant.treasurer, entity["id"])
    usd = open_account(client, tenant.treasurer, entity["id"], currency="USD")
    fund(client, tenant.treasurer, cny["id"], "1000.00")
    # 100.25 × 0.14 = 14.035 → 14.04 (half to even); 100.00 × 0.14085 = 14.085 → 14.08.
    first = created(
        post_transfer(
            client, tenant.treasurer, transfer_body(cny["id"], usd["id"], "100.25", fx_rate="0.14")
        )
    )
    second = created(
        post_transfer(
            client,
            tenant.treasurer,
            transfer_body(cny["id"], usd["id"], "100.00", fx_rate="0.14085"),
        )
    )

    assert first["creditor_amount"]["amount"] == "14.04"
    assert second["creditor_amount"]["amount"] == "14.08"
    assert balance(client, tenant.treasurer, usd["id"])["balance"] == "28.12"


def test_a_back_valued_transfer_is_booked_as_a_record_without_a_route(
    client: TestClient, tenant: TenantFixture
) -> None:
    _, debtor, creditor = accounts(client, tenant, "1000.00")  # funded with value 2026-11-20

    body = created(
        post_transfer(
            client,
            tenant.treasurer,
            transfer_body(debtor["id"], creditor["id"], "250.00", value_date="2026-11-24"),
        )
    )

    assert body["status"] == "booked"
    assert body["back_valued"] is True
    assert body["route"] is None
    assert body["value_date"] == "2026-11-24"
    assert body["requested_value_date"] == "2026-11-24"
    entry = get_json(client, f"/v1/journal-entries/{body['journal_id']}", tenant.treasurer)
    assert entry["value_date"] == "2026-11-24"
    assert balance(client, tenant.treasurer, debtor["id"], "2026-11-23")["balance"] == "1000.00"
    assert balance(client, tenant.treasurer, debtor["id"], "2026-11-24")["balance"] == "750.00"
    assert balance(client, tenant.treasurer, creditor["id"], "2026-11-24")["balance"] == "250.00"


def test_a_transfer_valued_today_is_routed_and_not_back_valued(
    client: TestClient, tenant: TenantFixture
) -> None:
    _, debtor, creditor = accounts(client, tenant, "1000.00")

    body = created(
        post_transfer(client, tenant.treasurer, transfer_body(debtor["id"], creditor["id"], "1.00"))
    )

    assert body["back_valued"] is False
    assert body["route"]["rail"] == "BOOK"
    assert body["route"]["value_date"] == "2026-11-26"
    assert body["value_date"] == "2026-11-26"


def test_a_future_value_date_books_on_that_date(client: TestClient, tenant: TenantFixture) -> None:
    _, debtor, creditor = accounts(client, tenant, "1000.00")

    body = created(
        post_transfer(
            client,
            tenant.treasurer,
            transfer_body(debtor["id"], creditor["id"], "300.00", value_date="2026-12-03"),
        )
    )

    assert body["status"] == "booked"
    assert body["back_valued"] is False
    assert body["value_date"] == "2026-12-03"
    assert body["route"]["value_date"] == "2026-12-03"
    for account, before, after in ((debtor, "1000.00", "700.00"), (creditor, "0.00", "300.00")):
        assert balance(client, tenant.treasurer, account["id"])["balance"] == before
        assert balance(client, tenant.treasurer, account["id"], "2026-12-02")["balance"] == before
        assert balance(client, tenant.treasurer, account["id"], "2026-12-03")["balance"] == after
        assert balance(client, tenant.treasurer, account["id"], "2027-01-31")["balance"] == after
    in_period = get_json(
        client,
        f"/v1/journal-entries?account_id={debtor['id']}&from=2026-12-03&to=2026-12-03",
        tenant.treasurer,
    )
    assert [entry["id"] for entry in in_period["items"]] == [body["journal_id"]]


def test_a_transfer_to_an_external_party_without_funds_is_rejected_not_sent(
    client: TestClient, tenant: TenantFixture
) -> None:
    _, debtor, _ = accounts(client, tenant, "10.00")
    request = transfer_body(debtor["id"], "", "50.00")
    del request["creditor_account_id"]
    request["creditor"] = {"name": "Shenzhen Parts Co.", "country": "CN", "bank_bic": "BKCHCNBJ"}

    body = created(post_transfer(client, tenant.treasurer, request))

    assert body["status"] == "rejected"
    assert "INSUFFICIENT_FUNDS" in [f["rule"] for f in body["findings"]]
    assert body["creditor"]["name"] == "Shenzhen Parts Co."
    assert len(entry_ids(client, tenant.treasurer, debtor["id"])) == 1  # the funding only
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "10.00"


def test_cnh_is_accepted_as_cny_and_shown_as_cny(client: TestClient, tenant: TenantFixture) -> None:
    _, debtor, creditor = accounts(client, tenant, "100.00")
    request = transfer_body(debtor["id"], creditor["id"], "1")
    request["amount"] = {"amount": "25.50", "currency": "CNH"}

    body = created(post_transfer(client, tenant.treasurer, request))

    assert body["status"] == "booked"
    assert body["amount"] == {"amount": "25.50", "currency": "CNY"}
    assert balance(client, tenant.treasurer, creditor["id"])["balance"] == "25.50"
