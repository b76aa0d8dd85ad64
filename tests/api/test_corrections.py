"""Corrections over HTTP (issue 13, DESIGN §4.4): cancelling a transfer, classifying a statement
line out of suspense, a journal reversal's reason, and rates as treasurers quote them."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_iso20022_api import outbound
from tests.api.test_iso20022_status import identifiers, post_report, report
from tests.api.test_routing_api import counterparty, payer
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
# The USDCNY the other tests read on the 26th (reference rates are system-wide).
USDCNY = "7.1025"


def held(client: TestClient, tenant: TenantFixture, amount: str = "1000.00") -> Json:
    """A transfer out of a funded capital account for `other` purposes: held for review."""
    entity = create_entity(client, tenant.treasurer)
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital")
    current = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, capital["id"], "50000.00")
    response = post_transfer(
        client, tenant.treasurer, transfer_body(capital["id"], current["id"], amount)
    )
    assert response.status_code == 201, response.text
    body: Json = response.json()
    assert body["status"] == "held", body
    return body


def cancel(
    client: TestClient,
    headers: dict[str, str],
    transfer_id: str,
    body: Json | None = None,
    key: str | None = None,
) -> Any:
    """POST a cancellation with a fresh (or the given) Idempotency-Key."""
    return client.post(
        f"/v1/transfers/{transfer_id}/cancellation",
        json={"reason": "the supplier invoiced twice"} if body is None else body,
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def audit_actions(client: TestClient, tenant: TenantFixture, object_id: str) -> list[Json]:
    """The audit events of one object, oldest first."""
    events = get_json(client, f"/v1/audit-events?object_id={object_id}", tenant.auditor)
    return list(events["items"])


def post_rate(client: TestClient, operator: dict[str, str], rate: str = USDCNY) -> None:
    """The reference USDCNY of 2026-11-26."""
    body = {"date": "2026-11-26", "pair": "USDCNY", "rate": rate}
    response = client.post("/v1/reference-rates", json=body, headers=operator)
    assert response.status_code == 201, response.text


# Cancelling ---------------------------------------------------------------------------------


def test_a_held_transfer_is_cancelled_its_reservation_released_and_its_review_closed(
    client: TestClient, tenant: TenantFixture
) -> None:
    transfer = held(client, tenant)
    debtor = transfer["debtor_account_id"]
    assert balance(client, tenant.treasurer, debtor)["available"] == "49000.00"

    response = cancel(client, tenant.treasurer, transfer["id"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["cancellation"]["reason"] == "the supplier invoiced twice"
    assert body["cancellation"]["reversal_journal_id"] is None
    assert body["journal_id"] is None
    assert balance(client, tenant.treasurer, debtor) == {
        **balance(client, tenant.treasurer, debtor),
        "balance": "50000.00",
        "available": "50000.00",
    }
    review = get_json(client, f"/v1/reviews/{transfer['review_id']}", tenant.officer)
    assert review["status"] == "cancelled"
    decided = client.post(
        f"/v1/reviews/{transfer['review_id']}/decision",
        json={"decision": "approve", "reason": "fine"},
        headers=tenant.officer,
    )
    assert_problem(decided, 409, "CONFLICT")
    events = audit_actions(client, tenant, transfer["id"])
    assert events[-1]["action"] == "transfer.cancelled"
    assert events[-1]["before"] == {"status": "held"}
    assert events[-1]["after"]["reason"] == "the supplier invoiced twice"
    assert events[-1]["after"]["released"] == 100000


def test_a_booked_transfer_the_bank_has_not_accepted_is_reversed_and_cancelled(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, end_to_end = identifiers(client, tenant, transfer["id"])  # the file is made
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "99000000.00"

    body = cancel(client, tenant.treasurer, transfer["id"]).json()

    assert body["status"] == "cancelled", body
    reversal_id = body["cancellation"]["reversal_journal_id"]
    reversal = get_json(client, f"/v1/journal-entries/{reversal_id}", tenant.auditor)
    assert reversal["reverses_entry_id"] == transfer["journal_id"]
    assert reversal["reason"] == "transfer cancelled: the supplier invoiced twice"
    assert reversal["value_date"] == transfer["value_date"]
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000000.00"
    issued = [f for f in body["findings"] if f["rule"] == "PAYMENT_FILE_ISSUED"]
    assert len(issued) == 1
    assert message_id in issued[0]["message"]
    # The bank accepting the file after all changes nothing here: a treasurer recalls it.
    applied = post_report(client, tenant, report(message_id, (end_to_end, "ACCP")))
    assert applied.status_code == 200, applied.text
    assert "cancelled" in applied.json()["items"][0]["result"]
    assert get_json(client, f"/v1/transfers/{transfer['id']}", tenant.auditor)["status"] == (
        "cancelled"
    )
    # Not in the day's batch any more.
    batch = client.get(
        f"/v1/payment-files?debtor_account_id={account['id']}&date={transfer['value_date']}",
        headers=tenant.treasurer,
    )
    assert batch.status_code == 404, batch.text


def test_what_the_bank_accepted_or_what_is_final_is_not_cancellable(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    accepted = outbound(client, tenant, account, payee)
    message_id, end_to_end = identifiers(client, tenant, accepted["id"])
    assert post_report(client, tenant, report(message_id, (end_to_end, "ACCP"))).status_code == 200
    entity = create_entity(client, tenant.treasurer)
    poor = open_account(client, tenant.treasurer, entity["id"])
    other = open_account(client, tenant.treasurer, entity["id"])
    rejected = post_transfer(
        client, tenant.treasurer, transfer_body(poor["id"], other["id"], "10.00")
    ).json()
    assert rejected["status"] == "rejected"
    fund(client, tenant.treasurer, poor["id"], "100.00")
    record = post_transfer(
        client,
        tenant.treasurer,
        transfer_body(poor["id"], other["id"], "10.00", value_date="2026-11-20"),
    ).json()
    assert (record["status"], record["back_valued"]) == ("booked", True)

    for transfer in (accepted, rejected, record):
        assert_problem(cancel(client, tenant.treasurer, transfer["id"]), 409, "NOT_CANCELLABLE")
    once = held(client, tenant)
    assert cancel(client, tenant.treasurer, once["id"]).status_code == 200
    assert_problem(cancel(client, tenant.treasurer, once["id"]), 409, "NOT_CANCELLABLE")
    assert get_json(client, f"/v1/transfers/{accepted['id']}", tenant.auditor)["status"] == (
        "accepted"
    )


def test_a_booked_transfer_whose_creditor_spent_the_money_is_not_cancellable(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    main = open_account(client, tenant.treasurer, entity["id"])
    other = open_account(client, tenant.treasurer, entity["id"])
    third = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, main["id"], "500.00")
    first = post_transfer(
        client, tenant.treasurer, transfer_body(main["id"], other["id"], "300.00")
    ).json()
    spent = post_transfer(
        client, tenant.treasurer, transfer_body(other["id"], third["id"], "250.00")
    ).json()
    assert (first["status"], spent["status"]) == ("booked", "booked")

    assert_problem(cancel(client, tenant.treasurer, first["id"]), 409, "NOT_CANCELLABLE")
    assert balance(client, tenant.treasurer, other["id"])["balance"] == "50.00"
    assert cancel(client, tenant.treasurer, spent["id"]).json()["status"] == "cancelled"
    assert cancel(client, tenant.treasurer, first["id"]).json()["status"] == "cancelled"
    assert balance(client, tenant.treasurer, main["id"])["balance"] == "500.00"
    assert balance(client, tenant.treasurer, other["id"])["balance"] == "0.00"


def test_a_cancellation_expecting_a_held_transfer_refuses_one_booked_meanwhile(
    client: TestClient, tenant: TenantFixture
) -> None:
    transfer = held(client, tenant)
    decided = client.post(
        f"/v1/reviews/{transfer['review_id']}/decision",
        json={"decision": "approve", "reason": "documents seen"},
        headers=tenant.officer,
    )
    assert decided.status_code == 200, decided.text

    response = cancel(
        client, tenant.treasurer, transfer["id"], {"reason": "late", "expected_status": "held"}
    )

    assert_problem(response, 409, "NOT_CANCELLABLE")
    assert get_json(client, f"/v1/transfers/{transfer['id']}", tenant.auditor)["status"] == (
        "booked"
    )


def test_a_cancellation_replays_by_key_and_needs_a_key_a_reason_a_treasurer_and_the_tenant(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    transfer = held(client, tenant)
    path = f"/v1/transfers/{transfer['id']}/cancellation"
    no_key = client.post(path, json={"reason": "x"}, headers=tenant.treasurer)
    assert_problem(no_key, 422, "IDEMPOTENCY_KEY_REQUIRED")
    assert_problem(
        cancel(client, tenant.treasurer, transfer["id"], {"reason": " "}), 422, "VALIDATION_ERROR"
    )
    assert_problem(cancel(client, tenant.treasurer, transfer["id"], {}), 422, "VALIDATION_ERROR")
    for headers in (tenant.officer, tenant.auditor):
        assert_problem(cancel(client, headers, transfer["id"]), 403, "FORBIDDEN")
    assert_problem(cancel(client, other_tenant.treasurer, transfer["id"]), 404, "NOT_FOUND")
    assert_problem(cancel(client, tenant.treasurer, str(uuid.uuid4())), 404, "NOT_FOUND")
    # An id longer than any of ours is no transfer either (it was a 500 on PostgreSQL: the key's
    # claim stored it in a 36-character column before the transfer was looked up).
    assert_problem(cancel(client, tenant.treasurer, "0" * 37), 404, "NOT_FOUND")

    first = cancel(client, tenant.treasurer, transfer["id"], key="cancel-1")
    again = cancel(client, tenant.treasurer, transfer["id"], key="cancel-1")
    other_body = cancel(client, tenant.treasurer, transfer["id"], {"reason": "y"}, key="cancel-1")

    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["cancellation"] == first.json()["cancellation"]
    assert_problem(other_body, 409, "IDEMPOTENCY_KEY_REUSED")
    actions = [event["action"] for event in audit_actions(client, tenant, transfer["id"])]
    assert actions.count("transfer.cancelled") == 1


# Suspense -----------------------------------------------------------------------------------


def suspense_of(client: TestClient, tenant: TenantFixture, entity_id: str, currency: str) -> Json:
    """The entity's suspense account in a currency, with its balance."""
    ledger = get_json(client, f"/v1/entities/{entity_id}/ledger-accounts", tenant.treasurer)
    [found] = [
        item
        for item in ledger["items"]
        if item["kind"] == "suspense" and item["currency"] == currency
    ]
    return dict(found)


def import_line(
    client: TestClient, tenant: TenantFixture, account_id: str, amount: str, value_date: str
) -> str:
    """One statement line into suspense; its id."""
    line = {"bank_ref": uuid.uuid4().hex, "value_date": value_date, "amount": amount}
    response = client.post(
        f"/v1/accounts/{account_id}/statement-lines",
        json={"lines": [line]},
        headers=tenant.treasurer,
    )
    assert response.status_code == 201, response.text
    [line_id] = response.json()["line_ids"]
    return str(line_id)


def classify(client: TestClient, headers: dict[str, str], line_id: str, body: Json) -> Any:
    """POST a classification."""
    return client.post(f"/v1/statement-lines/{line_id}/classification", json=body, headers=headers)


def test_a_line_moves_out_of_suspense_to_a_ledger_account_once(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    main = open_account(client, tenant.treasurer, entity["id"])
    other = open_account(client, tenant.treasurer, entity["id"])
    line_id = import_line(client, tenant, main["id"], "250.00", "2026-11-24")
    assert suspense_of(client, tenant, entity["id"], "CNY")["balance"] == "-250.00"
    body = {"ledger_account_id": other["id"], "reason": "sweep from our other account"}

    assert_problem(classify(client, tenant.auditor, line_id, body), 403, "FORBIDDEN")
    assert_problem(classify(client, other_tenant.treasurer, line_id, body), 404, "NOT_FOUND")
    response = classify(client, tenant.treasurer, line_id, body)

    assert response.status_code == 201, response.text
    done = response.json()
    assert (done["statement_line_id"], done["ledger_account_id"]) == (line_id, other["id"])
    assert done["amount"] == {"amount": "250.00", "currency": "CNY"}
    assert suspense_of(client, tenant, entity["id"], "CNY")["balance"] == "0.00"
    assert balance(client, tenant.treasurer, other["id"])["balance"] == "-250.00"
    assert balance(client, tenant.treasurer, main["id"])["balance"] == "250.00"
    entry = get_json(client, f"/v1/journal-entries/{done['journal_entry_id']}", tenant.auditor)
    assert entry["kind"] == "statement_classification"
    assert entry["source_id"] == line_id
    [posting] = entry["postings"]
    assert posting["credit_account_id"] == other["id"]
    [event] = audit_actions(client, tenant, line_id)
    assert event["action"] == "statement_line.classified"
    assert event["after"]["reason"] == "sweep from our other account"

    again = classify(client, tenant.treasurer, line_id, body)
    assert_problem(again, 409, "STATEMENT_LINE_NOT_IN_SUSPENSE")
    assert suspense_of(client, tenant, entity["id"], "CNY")["balance"] == "0.00"


def test_a_bank_charge_goes_to_the_entitys_bank_fees_made_on_first_use(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])
    fee = import_line(client, tenant, account["id"], "-35.00", "2026-11-25")
    body = {"ledger_account_kind": "bank_fees", "reason": "SWIFT charge November"}
    refused = {"ledger_account_kind": "suspense", "reason": "x"}

    assert_problem(classify(client, tenant.treasurer, fee, refused), 422, "VALIDATION_ERROR")
    done = classify(client, tenant.treasurer, fee, body)

    assert done.status_code == 201, done.text
    ledger = get_json(client, f"/v1/entities/{entity['id']}/ledger-accounts", tenant.treasurer)
    [fees] = [item for item in ledger["items"] if item["kind"] == "bank_fees"]
    assert (fees["account_id"], fees["balance"]) == (done.json()["ledger_account_id"], "35.00")
    assert suspense_of(client, tenant, entity["id"], "CNY")["balance"] == "0.00"


def test_a_line_that_cannot_belong_to_its_target_is_refused_and_changes_nothing(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    main = open_account(client, tenant.treasurer, entity["id"])
    usd = open_account(client, tenant.treasurer, entity["id"], currency="USD")
    stranger = open_account(client, tenant.treasurer, create_entity(client, tenant.treasurer)["id"])
    line_id = import_line(client, tenant, main["id"], "-80.00", "2026-11-24")
    suspense = suspense_of(client, tenant, entity["id"], "CNY")
    for target in (usd["id"], stranger["id"], main["id"], suspense["account_id"]):
        body = {"ledger_account_id": target, "reason": "wrong"}
        assert_problem(
            classify(client, tenant.treasurer, line_id, body), 422, "CLASSIFICATION_MISMATCH"
        )
    both = {"ledger_account_id": usd["id"], "transfer_id": "t", "reason": "x"}
    assert_problem(classify(client, tenant.treasurer, line_id, both), 422, "VALIDATION_ERROR")
    assert_problem(
        classify(client, tenant.treasurer, line_id, {"ledger_account_id": usd["id"]}),
        422,
        "VALIDATION_ERROR",
    )
    assert suspense_of(client, tenant, entity["id"], "CNY")["balance"] == "80.00"


def test_a_bank_debit_without_its_reference_is_classified_to_its_transfer_and_settles_it(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    entity_id = get_json(client, f"/v1/accounts/{account['id']}", tenant.auditor)["entity_id"]
    # The bank's debit arrives without the EndToEndId: it lands in suspense, counted twice.
    line_id = import_line(client, tenant, account["id"], "-1000000.00", transfer["value_date"])
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "98000000.00"
    wrong = import_line(client, tenant, account["id"], "-999.00", transfer["value_date"])
    mismatch = {"transfer_id": transfer["id"], "reason": "not it"}
    assert_problem(
        classify(client, tenant.treasurer, wrong, mismatch), 422, "CLASSIFICATION_MISMATCH"
    )

    response = classify(
        client, tenant.treasurer, line_id, {"transfer_id": transfer["id"], "reason": "PO 4711"}
    )

    assert response.status_code == 201, response.text
    assert response.json()["transfer_id"] == transfer["id"]
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "98999001.00"
    # Funded +100,000,000 through suspense; the −999 line is still in it.
    assert suspense_of(client, tenant, entity_id, "CNY")["balance"] == "-99999001.00"
    settled = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.auditor)
    assert settled["status"] == "settled"
    assert_problem(cancel(client, tenant.treasurer, transfer["id"]), 409, "NOT_CANCELLABLE")


# Journal reversals --------------------------------------------------------------------------


def test_a_journal_reversal_needs_a_reason_and_keeps_it(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    account = open_account(client, tenant.treasurer, entity["id"])
    line_id = import_line(client, tenant, account["id"], "40.00", "2026-11-10")
    lines = get_json(client, f"/v1/accounts/{account['id']}/statement-lines", tenant.auditor)
    [entry_id] = [item["journal_entry_id"] for item in lines["items"] if item["id"] == line_id]
    path = f"/v1/journal-entries/{entry_id}/reversal"

    for body in ({}, {"reason": ""}, {"value_date": "2026-11-10"}):
        assert_problem(
            client.post(path, json=body, headers=tenant.treasurer), 422, "VALIDATION_ERROR"
        )
    response = client.post(path, json={"reason": "imported twice"}, headers=tenant.treasurer)

    assert response.status_code == 201, response.text
    reversal = response.json()
    assert reversal["reason"] == "imported twice"
    assert get_json(client, f"/v1/journal-entries/{reversal['id']}", tenant.auditor)["reason"] == (
        "imported twice"
    )
    assert get_json(client, f"/v1/journal-entries/{entry_id}", tenant.auditor)["reason"] is None
    events = [
        e for e in audit_actions(client, tenant, entry_id) if e["action"] != "journal_entry.posted"
    ]
    assert [(e["action"], e["after"]["reason"]) for e in events] == [
        ("journal_entry.reversed", "imported twice")
    ]
    assert events[0]["after"]["reversal_entry_id"] == reversal["id"]


# Rates as quoted ----------------------------------------------------------------------------


def fx_books(client: TestClient, tenant: TenantFixture) -> tuple[Json, Json]:
    """A funded CNY account and a USD account of one entity."""
    entity = create_entity(client, tenant.treasurer)
    cny = open_account(client, tenant.treasurer, entity["id"])
    usd = open_account(client, tenant.treasurer, entity["id"], currency="USD")
    fund(client, tenant.treasurer, cny["id"], "100000.00")
    return cny, usd


def test_a_rate_quoted_in_market_convention_converts_the_right_way_round(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    post_rate(client, operator_headers)
    cny, usd = fx_books(client, tenant)
    quote = {"pair": "USDCNY", "rate": "7.10"}
    fund(client, tenant.treasurer, usd["id"], "100.00")

    body = post_transfer(
        client, tenant.treasurer, transfer_body(cny["id"], usd["id"], "7100.00", fx_quote=quote)
    ).json()
    back = post_transfer(
        client,
        tenant.treasurer,
        transfer_body(usd["id"], cny["id"], "100.00", fx_quote=quote)
        | {"amount": {"amount": "100.00", "currency": "USD"}},
    ).json()

    assert body["status"] == "booked", body
    assert body["creditor_amount"] == {"amount": "1000.00", "currency": "USD"}
    assert body["fx_quote"] == quote
    assert body["findings"] == []
    assert back["status"] == "booked", back
    assert back["creditor_amount"] == {"amount": "710.00", "currency": "CNY"}
    assert back["fx_rate"] == "7.10"


def test_a_rate_far_from_the_reference_is_held_for_an_officer(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    post_rate(client, operator_headers)
    cny, usd = fx_books(client, tenant)

    one = post_transfer(
        client, tenant.treasurer, transfer_body(cny["id"], usd["id"], "1000.00", fx_rate="1.0")
    ).json()
    upside_down = post_transfer(
        client,
        tenant.treasurer,
        transfer_body(
            cny["id"], usd["id"], "100.00", fx_quote={"pair": "CNYUSD", "rate": "7.1025"}
        ),
    ).json()
    near = post_transfer(
        client, tenant.treasurer, transfer_body(cny["id"], usd["id"], "100.00", fx_rate="0.1395")
    ).json()

    messages = []
    for transfer in (one, upside_down):
        assert transfer["status"] == "held", transfer
        [finding] = [f for f in transfer["findings"] if f["rule"] == "FX_RATE_OFF_MARKET"]
        assert finding["severity"] == "review"
        assert finding["rule_version"].startswith("fx.rate_tolerance=0.02@")
        messages.append(finding["message"])
    assert messages[0].startswith("USDCNY 1 is 85.92% off the reference USDCNY 7.1025 of ")
    assert messages[1].startswith("CNYUSD 7.1025 is ")
    assert "off the reference CNYUSD 0.1408 of " in messages[1]
    assert near["status"] == "booked", near
    assert near["findings"] == []


def test_a_quote_must_price_the_transfers_currencies_and_stand_alone(
    client: TestClient, tenant: TenantFixture
) -> None:
    cny, usd = fx_books(client, tenant)
    wrong_pair = transfer_body(
        cny["id"], usd["id"], "100.00", fx_quote={"pair": "EURCNY", "rate": "7.7"}
    )
    both = transfer_body(
        cny["id"], usd["id"], "100.00", fx_rate="0.14", fx_quote={"pair": "USDCNY", "rate": "7.1"}
    )
    not_a_pair = transfer_body(
        cny["id"], usd["id"], "100.00", fx_quote={"pair": "usd/cny", "rate": "7.1"}
    )

    assert_problem(
        post_transfer(client, tenant.treasurer, wrong_pair), 422, "FX_QUOTE_PAIR_MISMATCH"
    )
    assert_problem(post_transfer(client, tenant.treasurer, both), 422, "VALIDATION_ERROR")
    assert_problem(post_transfer(client, tenant.treasurer, not_a_pair), 422, "VALIDATION_ERROR")
    assert balance(client, tenant.treasurer, cny["id"])["balance"] == "100000.00"
