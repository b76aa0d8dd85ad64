"""Bank files applied in bulk keep what applying them line by line did (issue 14).

A camt.053 is imported with one read of the lines seen before, one locking read of the transfers
its debits name, one `post_entries` call for the lines going to suspense and one insert each for
the lines, the matches and the transfers' events; a pain.002 with one read of its payments and
one of their transfers. These tests pin, through the API, every outcome the line-by-line import
had — written against it first and passing on it unchanged: matched, unmatched (a transfer
confirmed twice in one file, a wrong amount, receipts), skipped (seen before, and a whole file
sent again under a new message id) and not booked lines across two statements of one file; the
balances of the account and of suspense; one journal entry per suspense line, each recorded in
the audit chain; each transfer's events with their statuses before and after; replays that
change nothing; and the ledger and the audit chain verifying afterwards.

One outcome differs, on purpose: a second debit naming a transfer another line of the same file
confirmed (R2 below) made the line-by-line import insert a second match and answer 409 "being
applied by another request" to every retry (its check for an earlier match did not see the
unflushed one); it is now an unmatched line in suspense, like any debit the treasurer must look
at. Without R2 this test passes on the line-by-line import unchanged (both backends).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.api.test_iso20022_api import outbound
from tests.api.test_iso20022_statements import CAMT, entry, post
from tests.api.test_iso20022_status import identifiers, post_report, report
from tests.api.test_routing_api import counterparty, payer
from tests.support import TenantFixture, balance
from treasury.audit import service as audit_service
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger import service as ledger_service

Json = dict[str, Any]


def pending(ref: str, amount: str) -> str:
    """An entry the bank has not booked yet."""
    return entry(ref, amount, "CRDT", "2026-11-26").replace("<Cd>BOOK</Cd>", "<Cd>PDNG</Cd>")


def two_statements(number: str, first: list[str], second: list[str], message_id: str) -> bytes:
    """A camt.053.001.08 holding two statements (S1, S2) of one account."""

    def one(statement_id: str, entries: list[str]) -> str:
        return (
            f"<Stmt><Id>{statement_id}</Id><Acct><Id><Othr><Id>{number}</Id></Othr></Id></Acct>"
            '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">0.00</Amt>'
            "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>"
            f"{''.join(entries)}</Stmt>"
        )

    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-26T18:00:00+08:00</CreDtTm></GrpHdr>"
        f"{one('S1', first)}{one('S2', second)}</BkToCstmrStmt></Document>"
    ).encode()


def events_of(client: TestClient, tenant: TenantFixture, object_id: str) -> list[Json]:
    """The audit events of one object, oldest first: action, before, after."""
    response = client.get(
        "/v1/audit-events", params={"object_id": object_id}, headers=tenant.auditor
    )
    assert response.status_code == 200, response.text
    return [
        {"action": item["action"], "before": item["before"], "after": item["after"]}
        for item in response.json()["items"]
    ]


def suspense_balance(client: TestClient, tenant: TenantFixture, entity_id: str) -> str:
    """The entity's CNY suspense account's balance."""
    ledger = get_json(client, f"/v1/entities/{entity_id}/ledger-accounts", tenant.treasurer)
    [suspense] = [i for i in ledger["items"] if i["kind"] == "suspense" and i["currency"] == "CNY"]
    return str(suspense["balance"])


def lines_of(client: TestClient, tenant: TenantFixture, account_id: str) -> dict[str, Json]:
    """The account's statement lines by bank reference."""
    body = get_json(client, f"/v1/accounts/{account_id}/statement-lines", tenant.auditor)
    return {item["bank_ref"]: item for item in body["items"]}


def test_a_statement_imports_as_line_by_line_did(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    one, two, three = (outbound(client, tenant, account, payee) for _ in range(3))
    e2e = {t["id"]: identifiers(client, tenant, t["id"])[1] for t in (one, two, three)}
    message_id, _ = identifiers(client, tenant, two["id"])
    settled = post_report(client, tenant, report(message_id, (e2e[two["id"]], "ACSC")))
    assert settled.status_code == 200, settled.text
    seen_before = client.post(
        f"/v1/accounts/{account['id']}/statement-lines",
        json={
            "lines": [
                {"bank_ref": "R7", "value_date": "2026-11-26", "amount": "5.00", "description": "x"}
            ]
        },
        headers=tenant.treasurer,
    )
    assert seen_before.status_code == 201, seen_before.text
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "97000005.00"
    xml = two_statements(
        account["number"],
        [
            entry("R1", "1000000.00", "DBIT", "2026-11-26", e2e[one["id"]]),  # booked → settled
            entry("R2", "1000000.00", "DBIT", "2026-11-26", e2e[one["id"]]),  # R1 did: unmatched
            entry("R3", "1000000.00", "DBIT", "2026-11-26", e2e[two["id"]]),  # settled: noted
            entry("R4", "999.00", "DBIT", "2026-11-26", e2e[three["id"]]),  # wrong amount
            entry("R5", "250.00", "CRDT", "2026-11-26"),  # a receipt
            pending("R6", "1.00"),  # not booked
            entry("R7", "5.00", "CRDT", "2026-11-26"),  # imported before: skipped
        ],
        [entry("R8", "1000000.00", "DBIT", "2026-11-26", e2e[three["id"]])],  # booked → settled
        message_id=f"STM-{uuid.uuid4().hex[:16]}",
    )

    first = post(client, tenant, xml)
    replay = post(client, tenant, xml)

    assert first.status_code == 200, first.text
    body = first.json()
    assert [(m["bank_ref"], m["transfer_id"]) for m in body["matched"]] == [
        ("R1", one["id"]),
        ("R3", two["id"]),
        ("R8", three["id"]),
    ]
    assert [u["bank_ref"] for u in body["unmatched"]] == ["R2", "R4", "R5"]
    assert (body["skipped"], body["not_booked"], body["replayed"]) == (["R7"], ["R6"], False)
    assert body["unmatched"][1] == {
        "bank_ref": "R4",
        "line_id": body["unmatched"][1]["line_id"],
        "amount": "-999.00",
        "currency": "CNY",
        "value_date": "2026-11-26",
        "end_to_end_id": e2e[three["id"]],
    }
    assert replay.status_code == 200, replay.text
    assert {**replay.json(), "replayed": False} == body
    # Only the unmatched lines moved money: −1,000,000.00 − 999.00 + 250.00, mirrored in suspense.
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "95999256.00"
    # Suspense mirrors every line booked to it: the funding line (100,000,000.00), R7, then these.
    assert suspense_balance(client, tenant, account["entity_id"]) == "-98999256.00"
    for transfer in (one, two, three):
        found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
        assert found["status"] == "settled"
    audit_service.seal_pending(uow_factory())
    line_ids = {m["bank_ref"]: m["line_id"] for m in body["matched"] + body["unmatched"]}
    assert events_of(client, tenant, one["id"])[-1] == {
        "action": "transfer.reconciled",
        "before": {"status": "booked"},
        "after": {"status": "settled", "statement_line_id": line_ids["R1"]},
    }
    assert events_of(client, tenant, two["id"])[-2:] == [
        {
            "action": "transfer.settled",
            "before": {"status": "booked"},
            "after": {
                "status": "settled",
                "bank_status": "ACSC",
                "reason": None,
                "reason_meaning": None,
                "reason_text": None,
            },
        },
        {
            "action": "transfer.reconciled",
            "before": {"status": "settled"},
            "after": {"status": "settled", "statement_line_id": line_ids["R3"]},
        },
    ]
    assert events_of(client, tenant, three["id"])[-1]["after"] == {
        "status": "settled",
        "statement_line_id": line_ids["R8"],
    }
    stored = lines_of(client, tenant, account["id"])
    assert len(stored) == 8  # the funding line, R7, and the six new ones
    stored = {ref: line for ref, line in stored.items() if ref.startswith("R")}
    assert sorted(stored) == ["R1", "R2", "R3", "R4", "R5", "R7", "R8"]
    assert {ref for ref, line in stored.items() if line["journal_entry_id"] is None} == {
        "R1",
        "R3",
        "R8",
    }
    for ref, amount in (("R2", -100000000), ("R4", -99900), ("R5", 25000)):
        line = stored[ref]
        assert line["id"] == line_ids[ref]
        assert line["description"] == f"statement line {ref}"
        [posted] = events_of(client, tenant, line["journal_entry_id"])
        assert posted["action"] == "journal_entry.posted"
        assert posted["after"]["kind"] == "statement_line"
        assert posted["after"]["description"] == f"{ref} statement line {ref}"
        [[debit, credit, minor, currency]] = posted["after"]["postings"]
        assert (minor, currency) == (abs(amount), "CNY")
        assert (debit == account["id"]) == (amount > 0)
        assert (credit == account["id"]) == (amount < 0)

    history = [events_of(client, tenant, t["id"]) for t in (one, two, three)]
    again = post(
        client,
        tenant,
        xml.replace(body["message_id"].encode(), f"STM-{uuid.uuid4().hex[:16]}".encode()),
    )

    assert again.status_code == 200, again.text
    assert (again.json()["matched"], again.json()["unmatched"]) == ([], [])
    assert again.json()["skipped"] == ["R1", "R2", "R3", "R4", "R5", "R7", "R8"]
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "95999256.00"
    audit_service.seal_pending(uow_factory())
    assert [events_of(client, tenant, t["id"]) for t in (one, two, three)] == history
    assert audit_service.verify(uow_factory(), None).verification.ok
    assert ledger_service.verify_ledger(uow_factory()).ok


def test_a_status_report_moves_each_transfer_in_its_order(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    one, two, three = (outbound(client, tenant, account, payee) for _ in range(3))
    e2e = {t["id"]: identifiers(client, tenant, t["id"])[1] for t in (one, two, three)}
    message_id, _ = identifiers(client, tenant, one["id"])
    xml = report(
        message_id,
        (e2e[one["id"]], "ACCP"),
        (e2e[one["id"]], "ACSC"),  # the same transfer again: from accepted on
        (e2e[two["id"]], "RJCT"),
        (e2e[two["id"]], "ACCP"),  # returned: never back
        (e2e[three["id"]], "PDNG"),
        ("NOT-OURS-1", "ACSC"),
    )

    first = post_report(client, tenant, xml)
    replay = post_report(client, tenant, xml)

    assert first.status_code == 200, first.text
    results = [(i["end_to_end_id"], i["result"]) for i in first.json()["items"]]
    assert results == [
        (e2e[one["id"]], "accepted"),
        (e2e[one["id"]], "settled"),
        (e2e[two["id"]], "returned"),
        (e2e[two["id"]], "unchanged (returned)"),
        (e2e[three["id"]], "unchanged"),
        ("NOT-OURS-1", "unmatched"),
    ]
    assert replay.json()["replayed"] is True
    assert replay.json()["items"] == first.json()["items"]
    statuses = [
        get_json(client, f"/v1/transfers/{t['id']}", tenant.treasurer)["status"]
        for t in (one, two, three)
    ]
    assert statuses == ["settled", "returned", "booked"]
    # Two out, one reversed by the rejection.
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "98000000.00"
    audit_service.seal_pending(uow_factory())
    moves = [
        (e["action"], e["before"], e["after"]["status"], e["after"]["bank_status"])
        for e in events_of(client, tenant, one["id"])[1:]
    ]
    assert moves == [
        ("transfer.accepted", {"status": "booked"}, "accepted", "ACCP"),
        ("transfer.settled", {"status": "accepted"}, "settled", "ACSC"),
    ]
    returned = events_of(client, tenant, two["id"])[-1]
    assert (returned["action"], returned["before"]) == ("transfer.returned", {"status": "booked"})
    assert returned["after"]["reason"] == "AC04"
    assert [e["action"] for e in events_of(client, tenant, three["id"])] == ["transfer.booked"]
    assert audit_service.verify(uow_factory(), None).verification.ok
    assert ledger_service.verify_ledger(uow_factory()).ok


def test_a_transfer_confirmed_in_one_statement_stays_settled_when_the_next_names_it(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    _, e2e = identifiers(client, tenant, transfer["id"])
    xml = two_statements(
        account["number"],
        [entry("T1", "1000000.00", "DBIT", "2026-11-26", e2e)],
        [entry("T2", "1000000.00", "DBIT", "2026-11-26", e2e)],  # the bank's duplicate debit
        message_id=f"STM-{uuid.uuid4().hex[:16]}",
    )

    response = post(client, tenant, xml)

    assert response.status_code == 200, response.text
    assert [m["bank_ref"] for m in response.json()["matched"]] == ["T1"]
    assert [u["bank_ref"] for u in response.json()["unmatched"]] == ["T2"]
    found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    assert found["status"] == "settled"
    audit_service.seal_pending(uow_factory())
    assert events_of(client, tenant, transfer["id"])[-1]["action"] == "transfer.reconciled"
