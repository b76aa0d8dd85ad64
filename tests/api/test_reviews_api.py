"""The review queue over HTTP: shapes, status filters, roles and tenant isolation (DESIGN §4.3)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
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
from treasury.clock import FixedClock

Json = dict[str, Any]
REVIEW_FIELDS = {"id", "transfer_id", "status", "findings", "approvals", "created_at"}
FINDING_FIELDS = {"rule", "severity", "message", "message_zh", "rule_version"}


@pytest.fixture(autouse=True)
def _audit_sealed_before_the_app_closes(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Let the audit sealer's timer finish before the `app` fixture disposes its engine.

    Firing on a disposed engine it would open a connection nobody closes: a ResourceWarning,
    an error under `filterwarnings = error`, in whichever test happens to run then.
    """
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


def held(
    client: TestClient,
    tenant: TenantFixture,
    amount: str = "1000.00",
    clock: FixedClock | None = None,
) -> Json:
    """A transfer out of a funded capital account for `other` purposes: held for review.

    With the test clock, it moves a minute on first, so the items are created in order.
    """
    if clock is not None:
        clock.instant += timedelta(minutes=1)
    entity = create_entity(client, tenant.treasurer)
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital")
    current = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, capital["id"], "50000.00")
    response = post_transfer(
        client, tenant.treasurer, transfer_body(capital["id"], current["id"], amount)
    )
    assert response.status_code == 201, response.text
    body: Json = response.json()
    assert body["status"] == "held"
    return body


def queue(client: TestClient, headers: dict[str, str], query: str = "?status=pending") -> Any:
    """GET /v1/reviews with a query string."""
    response = client.get(f"/v1/reviews{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def decide(
    client: TestClient, headers: dict[str, str], review_id: str, body: Json | None = None
) -> Any:
    """POST a decision (approve with a reason unless given)."""
    return client.post(
        f"/v1/reviews/{review_id}/decision",
        json=body or {"decision": "approve", "reason": "documents checked"},
        headers=headers,
    )


def test_the_pending_queue_lists_held_transfers_oldest_first_with_their_findings(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    first = held(client, tenant, "1000.00", clock)
    second = held(client, tenant, "2000.00", clock)

    body = queue(client, tenant.officer)

    assert set(body) == {"items", "total", "next"}
    assert [item["id"] for item in body["items"]] == [first["review_id"], second["review_id"]]
    item = body["items"][0]
    assert set(item) >= REVIEW_FIELDS
    assert item["transfer_id"] == first["id"]
    assert item["status"] == "pending"
    assert item["approvals"] == []
    assert datetime.fromisoformat(item["created_at"]).utcoffset() is not None
    assert [set(finding) for finding in item["findings"]] == [FINDING_FIELDS]
    finding = item["findings"][0]
    assert finding["rule"] == "CAPITAL_ACCOUNT_USE_UNSPECIFIED"
    assert finding["severity"] == "review"
    assert finding["message"]
    assert finding["message_zh"]
    assert finding["rule_version"].startswith("cap_income.negative_list_version=")


def test_a_decision_returns_the_review_and_the_transfer(
    client: TestClient, tenant: TenantFixture
) -> None:
    transfer = held(client, tenant)

    response = decide(client, tenant.officer, transfer["review_id"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert {"id", "status", "transfer"} <= set(body)
    assert body["id"] == transfer["review_id"]
    assert body["status"] == "approved"
    assert body["transfer"] == {"id": transfer["id"], "status": "booked"}
    assert body["approvals"] == body["required_approvals"] == 1


def test_the_status_filter_follows_the_decision(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    approved = held(client, tenant, clock=clock)
    rejected = held(client, tenant, clock=clock)
    waiting = held(client, tenant, clock=clock)
    assert decide(client, tenant.officer, approved["review_id"]).status_code == 200
    reject = {"decision": "reject", "reason": "purpose not documented"}
    assert decide(client, tenant.officer, rejected["review_id"], reject).status_code == 200

    def ids(query: str) -> list[str]:
        return [item["id"] for item in queue(client, tenant.auditor, query)["items"]]

    assert ids("?status=pending") == [waiting["review_id"]]
    assert ids("?status=approved") == [approved["review_id"]]
    assert ids("?status=rejected") == [rejected["review_id"]]
    assert ids("") == [approved["review_id"], rejected["review_id"], waiting["review_id"]]
    item = queue(client, tenant.auditor, "?status=approved")["items"][0]
    assert [approval["officer"] for approval in item["approvals"]] == [
        f"compliance_officer-{tenant.slug}"
    ]
    assert item["approvals"][0]["reason"] == "documents checked"
    assert item["decided_at"] is not None


def test_an_unknown_status_filter_is_422(client: TestClient, tenant: TenantFixture) -> None:
    response = client.get("/v1/reviews?status=open", headers=tenant.officer)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_references_attached_to_a_decision_reach_the_transfer(
    client: TestClient, tenant: TenantFixture
) -> None:
    transfer = held(client, tenant)

    response = decide(
        client,
        tenant.officer,
        transfer["review_id"],
        {
            "decision": "approve",
            "reason": "board resolution seen",
            "references": {"registration": "SAFE-REG-42"},
        },
    )

    assert response.status_code == 200, response.text
    stored = client.get(f"/v1/transfers/{transfer['id']}", headers=tenant.auditor).json()
    assert stored["references"] == {"registration": "SAFE-REG-42"}
    review = client.get(f"/v1/reviews/{transfer['review_id']}", headers=tenant.auditor).json()
    assert review["decisions"][0]["references"] == {"registration": "SAFE-REG-42"}


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "approve", "reason": "ok", "references": {"invoice": "INV-1"}},
        {"decision": "approve", "reason": "ok", "approved_by": "someone"},
        {"decision": "approve", "reason": "x" * 2001},
    ],
)
def test_malformed_decisions_are_422_and_change_nothing(
    client: TestClient, tenant: TenantFixture, body: Json
) -> None:
    transfer = held(client, tenant)

    response = decide(client, tenant.officer, transfer["review_id"], body)

    assert response.status_code == 422, response.text
    assert queue(client, tenant.officer)["items"][0]["id"] == transfer["review_id"]
    assert balance(client, tenant.treasurer, transfer["debtor_account_id"])["available"] == (
        "49000.00"
    )


# Roles ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["treasurer", "admin", "auditor"])
def test_only_compliance_officers_decide(
    client: TestClient, tenant: TenantFixture, role: str
) -> None:
    transfer = held(client, tenant)
    headers = {"treasurer": tenant.treasurer, "admin": tenant.admin, "auditor": tenant.auditor}

    response = decide(client, headers[role], transfer["review_id"])

    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert queue(client, tenant.officer)["items"][0]["status"] == "pending"


def test_auditors_and_officers_read_the_queue(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held(client, tenant)
    for headers in (tenant.auditor, tenant.officer):
        assert [item["id"] for item in queue(client, headers)["items"]] == [transfer["review_id"]]
        one = client.get(f"/v1/reviews/{transfer['review_id']}", headers=headers)
        assert one.status_code == 200
        assert one.json()["transfer_id"] == transfer["id"]


def test_the_operator_and_strangers_do_not_read_the_queue(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    transfer = held(client, tenant)
    assert client.get("/v1/reviews", headers=operator_headers).status_code == 403
    assert decide(client, operator_headers, transfer["review_id"]).status_code == 403
    assert client.get("/v1/reviews").status_code == 401
    assert decide(client, {}, transfer["review_id"]).status_code == 401
    bogus = {"Authorization": "Bearer trs_not-a-token"}
    assert client.get("/v1/reviews", headers=bogus).status_code == 401


# Tenant isolation -------------------------------------------------------------------------------


def test_another_tenants_reviews_are_invisible(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    mine = held(client, tenant)
    theirs = held(client, other_tenant)

    assert [i["id"] for i in queue(client, tenant.officer, "")["items"]] == [mine["review_id"]]
    assert [i["id"] for i in queue(client, other_tenant.officer, "")["items"]] == [
        theirs["review_id"]
    ]
    read = client.get(f"/v1/reviews/{mine['review_id']}", headers=other_tenant.officer)
    assert read.status_code == 404
    assert read.json()["code"] == "NOT_FOUND"
    posted = decide(client, other_tenant.officer, mine["review_id"])
    assert posted.status_code == 404
    assert queue(client, tenant.officer)["items"][0]["status"] == "pending"
    unknown = decide(client, tenant.officer, "00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
