"""Invariant 4 over HTTP: a replayed Idempotency-Key returns the original and writes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, ledger_state
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


def funded_pair(
    client: TestClient, tenant: TenantFixture, funding: str = "1000.00"
) -> tuple[str, str]:
    """A funded debtor account and a creditor account of one entity."""
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"])
    creditor = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, debtor["id"], funding)
    return debtor["id"], creditor["id"]


def test_a_replay_returns_the_original_and_posts_nothing(
    client: TestClient, tenant: TenantFixture
) -> None:
    debtor, creditor = funded_pair(client, tenant)
    key = uuid.uuid4().hex
    body = transfer_body(debtor, creditor, "100.00", remark="invoice 42")
    first = post_transfer(client, tenant.treasurer, body, key=key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = ledger_state(client, tenant.treasurer, debtor, creditor)

    replay = post_transfer(client, tenant.treasurer, body, key=key)

    assert replay.status_code == 201, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert ledger_state(client, tenant.treasurer, debtor, creditor) == after_first
    assert balance(client, tenant.treasurer, debtor)["balance"] == "900.00"
    assert len(after_first.transfers) == 1


def test_a_replay_by_another_user_of_the_tenant_returns_the_original(
    client: TestClient, tenant: TenantFixture
) -> None:
    debtor, creditor = funded_pair(client, tenant)
    key = uuid.uuid4().hex
    body = transfer_body(debtor, creditor, "10.00")
    first = post_transfer(client, tenant.treasurer, body, key=key)

    replay = post_transfer(client, tenant.admin, body, key=key)

    assert replay.status_code == 201, replay.text
    assert replay.json()["id"] == first.json()["id"]
    assert replay.headers["idempotent-replayed"] == "true"
    assert balance(client, tenant.treasurer, debtor)["balance"] == "990.00"


def test_a_rejected_transfer_replays_as_rejected_even_once_funds_arrive(
    client: TestClient, tenant: TenantFixture
) -> None:
    debtor, creditor = funded_pair(client, tenant, "10.00")
    key = uuid.uuid4().hex
    body = transfer_body(debtor, creditor, "50.00")
    first = post_transfer(client, tenant.treasurer, body, key=key)
    assert first.json()["status"] == "rejected"
    fund(client, tenant.treasurer, debtor, "100.00")
    before = ledger_state(client, tenant.treasurer, debtor, creditor)

    replay = post_transfer(client, tenant.treasurer, body, key=key)

    assert replay.json() == first.json()
    assert ledger_state(client, tenant.treasurer, debtor, creditor) == before


def test_the_same_key_with_another_body_is_409_and_writes_nothing(
    client: TestClient, tenant: TenantFixture
) -> None:
    debtor, creditor = funded_pair(client, tenant)
    key = uuid.uuid4().hex
    first = post_transfer(client, tenant.treasurer, transfer_body(debtor, creditor, "100.00"), key)
    assert first.status_code == 201
    before = ledger_state(client, tenant.treasurer, debtor, creditor)

    for changed in (
        transfer_body(debtor, creditor, "100.01"),
        transfer_body(creditor, debtor, "100.00"),
        transfer_body(debtor, creditor, "100.00", remark="another"),
        transfer_body(debtor, creditor, "100.00", value_date="2026-11-27"),
    ):
        response = post_transfer(client, tenant.treasurer, changed, key=key)
        assert_problem(response, 409, "IDEMPOTENCY_KEY_REUSED")

    assert ledger_state(client, tenant.treasurer, debtor, creditor) == before


def test_a_refused_request_does_not_consume_its_key(
    client: TestClient, tenant: TenantFixture
) -> None:
    debtor, creditor = funded_pair(client, tenant)
    key = uuid.uuid4().hex
    refused = post_transfer(
        client, tenant.treasurer, transfer_body(debtor, str(uuid.uuid4()), "1"), key
    )
    assert_problem(refused, 404, "NOT_FOUND")

    response = post_transfer(client, tenant.treasurer, transfer_body(debtor, creditor, "1.00"), key)

    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    assert response.json()["status"] == "booked"


def test_the_same_key_in_another_tenant_is_independent(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    mine = funded_pair(client, tenant)
    theirs = funded_pair(client, other_tenant)
    key = uuid.uuid4().hex
    first = post_transfer(client, tenant.treasurer, transfer_body(*mine, "100.00"), key=key)

    other = post_transfer(client, other_tenant.treasurer, transfer_body(*theirs, "30.00"), key=key)

    assert other.status_code == 201, other.text
    assert "idempotent-replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]
    assert other.json()["status"] == "booked"
    assert balance(client, other_tenant.treasurer, theirs[0])["balance"] == "970.00"
    assert balance(client, tenant.treasurer, mine[0])["balance"] == "900.00"
    # And the other tenant cannot read the first tenant's result through the key.
    same_body = post_transfer(client, other_tenant.treasurer, transfer_body(*mine, "100.00"), key)
    assert_problem(same_body, 409, "IDEMPOTENCY_KEY_REUSED")
