"""A payment run's outcomes equal those of the same payments posted one by one (issue 14).

The run reads and writes its items in bulk (`treasury.payments.run_pipeline`); each of its items
must still end exactly as `POST /v1/transfers` would have ended it after the items before it:
the same status, findings and error, the same balances, the same journal entries and the same
audit events. Two identical worlds in one tenant: the run books in one, single transfers in the
other, and both are read back through the API and compared with the world's ids mapped to roles.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.audit import service as audit_service
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import BalanceOutOfRange
from treasury.ledger import posting as ledger_posting

Json = dict[str, Any]
IDS = ("journal_entry_id", "review_id")  # compared by presence: each world has its own
SUPPLIER = {
    "name": "Shanghai Precision Parts Co Ltd",
    "country": "CN",
    "bank_bic": "ICBKCNBJ",
    "account": "6222020200112233",
    "address": {"street": "Zhangjiang Road", "building": "88", "town": "Shanghai", "country": "CN"},
}
HK_SUPPLIER = {
    "name": "Kowloon Components Ltd",
    "country": "HK",
    "bank_bic": "HSBCHKHH",
    "account": "004123456789",
    "address": {"street": "Nathan Road", "building": "1", "town": "Hong Kong", "country": "HK"},
}


def world(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    """One CN entity's accounts by role: a current account (1,000.00), a second one, a capital
    account (5,000.00) and a USD account."""
    entity = create_entity(client, headers)
    accounts = {
        "current": open_account(client, headers, entity["id"])["id"],
        "other": open_account(client, headers, entity["id"])["id"],
        "capital": open_account(client, headers, entity["id"], kind="capital")["id"],
        "usd": open_account(client, headers, entity["id"], currency="USD")["id"],
    }
    fund(client, headers, accounts["current"], "1000.00")
    fund(client, headers, accounts["capital"], "5000.00")
    return accounts


def mixed_items(a: dict[str, str]) -> list[Json]:
    """Booked, funds short, held, blocked, unknown account, malformed, payments out to a supplier
    at home and abroad, FX between the group's accounts, a back-valued record, a currency that is
    not the account's — and items whose outcome depends on the ones before them."""
    return [
        transfer_body(a["current"], a["other"], "100.00"),
        transfer_body(a["current"], a["other"], "5000.00"),  # beyond the balance
        transfer_body(a["capital"], a["current"], "1200.00"),  # review: held, 1,200 reserved
        transfer_body(a["capital"], a["other"], "10.00", purpose="securities_investment"),
        transfer_body(str(uuid.uuid4()), a["other"], "1.00"),  # no such account
        {**transfer_body(a["current"], a["other"], "1.00"), "amount": 1.0},  # a JSON number
        {
            **transfer_body(a["current"], a["other"], "50.00"),
            "creditor_account_id": None,
            "creditor": SUPPLIER,
            "purpose": "goods_trade",
            "remark": "INV 2026-1101",
        },
        {
            **transfer_body(a["current"], a["other"], "20.00"),
            "creditor_account_id": None,
            "creditor": HK_SUPPLIER,
            "purpose": "goods_trade",
            "bop_code": "121010",
        },
        {**transfer_body(a["current"], a["usd"], "71.00"), "fx_rate": "0.1408"},
        transfer_body(a["other"], a["current"], "40.00"),  # credits what the next item spends
        transfer_body(a["current"], a["other"], "799.00"),  # exactly what is left, less held
        transfer_body(a["current"], a["other"], "0.01"),  # now short
        transfer_body(a["current"], a["other"], "10.00", value_date="2026-11-20"),  # a record
        {
            **transfer_body(a["current"], a["other"], "1.00"),
            "amount": {"amount": "1.00", "currency": "USD"},
        },
        transfer_body(a["capital"], a["other"], "3900.00"),  # beyond what the hold left
    ]


def outcome_of_run(client: TestClient, headers: dict[str, str], items: list[Json]) -> list[Json]:
    response = client.post(
        "/v1/payment-runs",
        json={"items": items},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return [
        {
            "transfer_id": item["transfer_id"],
            "status": item["status"],
            "rules": [finding["rule"] for finding in item["findings"]],
            "error": None if item["error"] is None else item["error"]["code"],
        }
        for item in response.json()["items"]
    ]


def outcome_one_by_one(
    client: TestClient, headers: dict[str, str], items: list[Json]
) -> list[Json]:
    found = []
    for item in items:
        response = post_transfer(client, headers, item)
        body = response.json()
        if response.status_code == 201:
            found.append(
                {
                    "transfer_id": body["id"],
                    "status": body["status"],
                    "rules": [finding["rule"] for finding in body["findings"]],
                    "error": None,
                }
            )
        else:
            found.append(
                {"transfer_id": None, "status": "invalid", "rules": [], "error": body["code"]}
            )
    return found


def seen(
    client: TestClient,
    headers: dict[str, str],
    accounts: dict[str, str],
    outcomes: list[Json],
) -> Json:
    """Everything the run or the single transfers left, with ids replaced by roles."""
    role = {account_id: name for name, account_id in accounts.items()}
    named: Callable[[str], str] = lambda account_id: role.get(account_id, "internal")  # noqa: E731
    transfers: list[Json] = []
    entries: list[Json | None] = []
    events: list[list[Any] | None] = []
    for outcome in outcomes:
        transfer_id = outcome["transfer_id"]
        if transfer_id is None:
            transfers.append(outcome)
            entries.append(None)
            events.append(None)
            continue
        transfer = get_json(client, f"/v1/transfers/{transfer_id}", headers)
        transfers.append(
            {
                **{k: v for k, v in outcome.items() if k != "transfer_id"},
                "value_date": transfer["value_date"],
                "reviewed": transfer["review_id"] is not None,
                "route": None if transfer["route"] is None else transfer["route"]["rail_id"],
                "creditor_amount": transfer.get("creditor_amount"),
            }
        )
        journal_id = transfer["journal_id"]
        if journal_id is None:
            entries.append(None)
        else:
            entry = get_json(client, f"/v1/journal-entries/{journal_id}", headers)
            entries.append(
                {
                    "value_date": entry["value_date"],
                    "kind": entry["kind"],
                    "description": entry["description"],
                    "postings": [
                        (named(p["debit_account_id"]), named(p["credit_account_id"]), p["amount"])
                        for p in entry["postings"]
                    ],
                }
            )
        events.append(
            [
                (
                    event["action"],
                    event["actor"],
                    event["before"],
                    {
                        key: (value is not None if key in IDS else value)
                        for key, value in (event["after"] or {}).items()
                    },
                )
                for event in get_json(client, f"/v1/audit-events?object_id={transfer_id}", headers)[
                    "items"
                ]
            ]
        )
    balances = {
        name: (
            balance(client, headers, account_id)["balance"],
            balance(client, headers, account_id, as_of="2099-12-31")["available"],
        )
        for name, account_id in accounts.items()
    }
    return {"transfers": transfers, "entries": entries, "events": events, "balances": balances}


def test_a_run_ends_each_item_as_posting_it_alone_would(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    in_run, alone = world(client, tenant.treasurer), world(client, tenant.treasurer)

    run = outcome_of_run(client, tenant.treasurer, mixed_items(in_run))
    single = outcome_one_by_one(client, tenant.treasurer, mixed_items(alone))
    audit_service.seal_pending(uow_factory())

    statuses = [item["status"] for item in run]
    # The supplier abroad (7) is held only while no USDCNY reference rate is loaded (its customs
    # check cannot tell the amount is below the threshold): reference data are global, and other
    # tests load rates on a shared database. Whatever it is, both ways must agree (below).
    expected = ["booked", "rejected", "held", "rejected", "invalid", "invalid", "booked"]
    assert statuses[:7] == expected
    assert statuses[7] in {"held", "booked"}
    assert statuses[8:] == ["booked"] * 3 + ["rejected", "booked", "invalid", "rejected"]
    ran = seen(client, tenant.auditor, in_run, run)
    posted = seen(client, tenant.auditor, alone, single)
    assert ran["transfers"] == posted["transfers"]
    assert ran["entries"] == posted["entries"]
    assert ran["events"] == posted["events"]
    assert ran["balances"] == posted["balances"]
    held_or_paid = "10.00" if statuses[7] == "held" else "-10.00"  # the 20.00, then the record
    assert ran["balances"]["current"] == (held_or_paid, "-10.00")


def test_a_segment_the_ledger_refuses_is_rolled_back_and_its_items_posted_one_by_one(
    client: TestClient,
    tenant: TenantFixture,
    uow_factory: UnitOfWorkFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run's write of a segment refused (a balance beyond what the ledger stores, say): it
    is rolled back whole and each of its items takes the single path, with its own outcome."""
    in_run, alone = world(client, tenant.treasurer), world(client, tenant.treasurer)
    post_entries = ledger_posting.post_entries
    refused: list[int] = []

    def refusing(session: Any, **kwargs: Any) -> None:
        if len(kwargs["entries"]) > 1:  # the segment's write; a single transfer posts one entry
            refused.append(len(kwargs["entries"]))
            raise BalanceOutOfRange("refused for the test", account_id=in_run["other"])
        post_entries(session, **kwargs)

    monkeypatch.setattr(ledger_posting, "post_entries", refusing)
    run = outcome_of_run(client, tenant.treasurer, mixed_items(in_run))
    monkeypatch.undo()
    single = outcome_one_by_one(client, tenant.treasurer, mixed_items(alone))
    audit_service.seal_pending(uow_factory())

    ran = seen(client, tenant.auditor, in_run, run)
    posted = seen(client, tenant.auditor, alone, single)
    assert refused in ([3], [5])  # 8-10 (FX, the credit, the exact spend), or 6-10
    assert ran == posted
    assert [item["status"] for item in run].count("booked") in (6, 7)  # 7: see the test above
