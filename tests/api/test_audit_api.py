"""GET /v1/audit-events: who may read it, its filters, its shape, and tenant isolation."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support import (
    TenantFixture,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.audit import service as audit_service
from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.refdata import service as refdata_service

Json = dict[str, Any]
EVENT_FIELDS = {
    "id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "occurred_at",
    "chain_index",
    "hash",
}


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


def events(client: TestClient, headers: dict[str, str], **filters: str) -> list[Json]:
    """GET /v1/audit-events with filters (passed as query parameters, URL-encoded)."""
    response = client.get("/v1/audit-events", params=filters, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "total", "next"}
    items: list[Json] = body["items"]
    assert (body["total"], body["next"]) == (len(items), None)
    return items


def held_then_approved(client: TestClient, tenant: TenantFixture) -> Json:
    """A transfer held for review, then approved by the officer and booked."""
    entity = create_entity(client, tenant.treasurer)
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital")
    current = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, capital["id"], "5000.00")
    response = post_transfer(
        client, tenant.treasurer, transfer_body(capital["id"], current["id"], "1200.00")
    )
    assert response.status_code == 201, response.text
    transfer: Json = response.json()
    assert transfer["status"] == "held"
    decided = client.post(
        f"/v1/reviews/{transfer['review_id']}/decision",
        json={"decision": "approve", "reason": "seen the contract"},
        headers=tenant.officer,
    )
    assert decided.status_code == 200, decided.text
    return transfer


def test_auditors_read_every_state_change_of_their_tenant(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    transfer = held_then_approved(client, tenant)
    audit_service.seal_pending(uow_factory())

    items = events(client, tenant.auditor)

    actions = [item["action"] for item in items]
    assert actions.count("token.created") == 4
    assert {"tenant.created", "entity.created", "account.opened"} <= set(actions)
    assert all(set(item) == EVENT_FIELDS for item in items)
    mine = [item for item in items if item["object_id"] == transfer["id"]]
    assert [item["action"] for item in mine] == ["transfer.held", "transfer.booked"]
    held, booked = mine
    assert held["actor"] == f"treasurer-{tenant.slug}"
    assert held["object_type"] == "transfer"
    assert held["before"] is None
    assert held["after"]["status"] == "held"
    assert held["after"]["rules"] == ["CAPITAL_ACCOUNT_USE_UNSPECIFIED"]
    assert booked["actor"] == f"compliance_officer-{tenant.slug}"
    assert booked["before"] == {"status": "held"}
    assert booked["after"]["status"] == "booked"
    assert booked["after"]["amount"] == 120000
    decision = next(item for item in items if item["object_id"] == transfer["review_id"])
    assert decision["action"] == "review.approve"
    assert decision["after"]["reason"] == "seen the contract"
    # oldest first, sealed into the chain in that order
    indexes = [item["chain_index"] for item in items]
    assert all(isinstance(index, int) for index in indexes)
    assert indexes == sorted(indexes)
    assert all(re.fullmatch(r"[0-9a-f]{64}", item["hash"]) for item in items)
    assert all(
        datetime.fromisoformat(item["occurred_at"]).utcoffset() is not None for item in items
    )


def test_officers_read_audit_events(client: TestClient, tenant: TenantFixture) -> None:
    assert [i["action"] for i in events(client, tenant.officer)].count("token.created") == 4


@pytest.mark.parametrize("role", ["treasurer", "admin"])
def test_treasurers_and_admins_may_not_read_audit_events(
    client: TestClient, tenant: TenantFixture, role: str
) -> None:
    headers = tenant.treasurer if role == "treasurer" else tenant.admin
    response = client.get("/v1/audit-events", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


def test_the_operator_and_strangers_may_not_read_audit_events(
    client: TestClient, operator_headers: dict[str, str]
) -> None:
    assert client.get("/v1/audit-events", headers=operator_headers).status_code == 403
    unauthenticated = client.get("/v1/audit-events")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["code"] == "UNAUTHENTICATED"


# Filters ----------------------------------------------------------------------------------------


def test_filter_by_object(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_then_approved(client, tenant)

    items = events(client, tenant.auditor, object_id=transfer["id"])

    assert [item["action"] for item in items] == ["transfer.held", "transfer.booked"]
    assert events(client, tenant.auditor, object_id=str(uuid.uuid4())) == []


def test_filter_by_actor(client: TestClient, tenant: TenantFixture) -> None:
    held_then_approved(client, tenant)
    officer = f"compliance_officer-{tenant.slug}"

    items = events(client, tenant.auditor, actor=officer)

    assert {item["actor"] for item in items} == {officer}
    assert sorted(item["action"] for item in items) == ["review.approve", "transfer.booked"]
    treasurer = events(client, tenant.auditor, actor=f"treasurer-{tenant.slug}")
    assert {"entity.created", "account.opened", "transfer.held"} <= {
        item["action"] for item in treasurer
    }
    assert "review.approve" not in {item["action"] for item in treasurer}


def test_filter_by_time_from_inclusive_to_exclusive(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    start = clock.instant
    ids = []
    for hours in (1, 2, 3):
        clock.instant = start + timedelta(hours=hours)
        ids.append(create_entity(client, tenant.treasurer)["id"])

    def created(**window: str) -> list[str]:
        found = events(client, tenant.auditor, **window)
        return [item["object_id"] for item in found if item["action"] == "entity.created"]

    at = {hours: (start + timedelta(hours=hours)).isoformat() for hours in (1, 2, 3)}
    assert created() == ids
    assert created(**{"from": at[2]}) == ids[1:]
    assert created(to=at[2]) == ids[:1]
    assert created(**{"from": at[2], "to": at[3]}) == [ids[1]]
    shanghai = (start + timedelta(hours=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert created(**{"from": shanghai.isoformat()}) == ids[1:]  # any offset, same instant
    assert created(**{"from": (start + timedelta(hours=4)).isoformat()}) == []


def test_a_malformed_time_filter_is_422(client: TestClient, tenant: TenantFixture) -> None:
    response = client.get("/v1/audit-events", params={"from": "yesterday"}, headers=tenant.auditor)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


# Tenant isolation -------------------------------------------------------------------------------


def test_no_other_tenants_or_system_events(
    client: TestClient,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    uow_factory: UnitOfWorkFactory,
) -> None:
    theirs = create_entity(client, other_tenant.treasurer)
    mine = create_entity(client, tenant.treasurer)
    marker = f"test.audit_api_{uuid.uuid4().hex[:8]}"
    refdata_service.add_parameter(
        uow_factory(),
        refdata_service.ParameterInput(marker, "1", date(2026, 1, 1), "audit API test"),
        actor="operator-test",
    )

    items = events(client, tenant.auditor)

    objects = {item["object_id"] for item in items}
    assert mine["id"] in objects
    assert theirs["id"] not in objects
    assert other_tenant.id not in objects
    assert not any(item["object_type"] == "parameter" for item in items)
    assert not any(item["actor"].endswith(other_tenant.slug) for item in items)
    assert events(client, tenant.auditor, object_id=theirs["id"]) == []
    assert events(client, tenant.auditor, actor=f"treasurer-{other_tenant.slug}") == []
    assert events(client, other_tenant.auditor, object_id=mine["id"]) == []
    assert [i["action"] for i in events(client, other_tenant.auditor, object_id=theirs["id"])] == [
        "entity.created"
    ]
