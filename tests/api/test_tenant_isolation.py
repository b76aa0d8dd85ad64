"""Invariant 8: one tenant's data is invisible to another — 404 (not 403), never listed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json, ledger_state
from tests.support import (
    TenantFixture,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)


@dataclass(frozen=True)
class Objects:
    """One tenant's entity, two accounts, a counterparty, a booked transfer and its entry."""

    entity: dict[str, Any]
    debtor: dict[str, Any]
    creditor: dict[str, Any]
    counterparty: dict[str, Any]
    transfer: dict[str, Any]


def populate(client: TestClient, tenant: TenantFixture) -> Objects:
    """Give a tenant one of everything."""
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    debtor = open_account(client, headers, entity["id"])
    creditor = open_account(client, headers, entity["id"])
    fund(client, headers, debtor["id"], "1000.00")
    made = client.post(
        "/v1/counterparties", json={"name": "Supplier GmbH", "country": "DE"}, headers=headers
    )
    assert made.status_code == 201, made.text
    transfer = post_transfer(client, headers, transfer_body(debtor["id"], creditor["id"], "10.00"))
    assert transfer.status_code == 201, transfer.text
    assert transfer.json()["journal_id"] is not None
    return Objects(entity, debtor, creditor, made.json(), transfer.json())


@pytest.fixture
def theirs(client: TestClient, other_tenant: TenantFixture) -> Objects:
    """The other tenant's objects."""
    return populate(client, other_tenant)


@pytest.fixture
def mine(client: TestClient, tenant: TenantFixture) -> Objects:
    """The tenant's own objects."""
    return populate(client, tenant)


def paths_of(objects: Objects) -> list[str]:
    """Every GET path naming one of the objects."""
    return [
        f"/v1/entities/{objects.entity['id']}",
        f"/v1/entities/{objects.entity['id']}/ledger-accounts",
        f"/v1/accounts/{objects.debtor['id']}",
        f"/v1/accounts/{objects.debtor['id']}/balance",
        f"/v1/accounts/{objects.debtor['id']}/statement-lines",
        f"/v1/counterparties/{objects.counterparty['id']}",
        f"/v1/transfers/{objects.transfer['id']}",
        f"/v1/journal-entries/{objects.transfer['journal_id']}",
        f"/v1/journal-entries?account_id={objects.debtor['id']}",
    ]


def test_another_tenants_objects_are_not_found_for_every_role(
    client: TestClient, tenant: TenantFixture, theirs: Objects
) -> None:
    for headers in tenant.headers.values():
        for path in paths_of(theirs):
            assert_problem(client.get(path, headers=headers), 404, "NOT_FOUND")


def test_the_owner_sees_the_same_paths(
    client: TestClient, other_tenant: TenantFixture, theirs: Objects
) -> None:
    for path in paths_of(theirs):
        assert client.get(path, headers=other_tenant.auditor).status_code == 200, path


def test_lists_never_show_another_tenants_objects(
    client: TestClient, tenant: TenantFixture, mine: Objects, theirs: Objects
) -> None:
    headers = tenant.auditor
    expected = {
        "/v1/entities": {mine.entity["id"]},
        "/v1/accounts": {mine.debtor["id"], mine.creditor["id"]},
        "/v1/counterparties": {mine.counterparty["id"]},
        "/v1/transfers": {mine.transfer["id"]},
        f"/v1/accounts?entity_id={theirs.entity['id']}": set(),
        f"/v1/transfers?account_id={theirs.debtor['id']}": set(),
    }
    for path, ids in expected.items():
        assert {item["id"] for item in get_json(client, path, headers)["items"]} == ids, path
    entries = get_json(client, "/v1/journal-entries", headers)["items"]
    assert theirs.transfer["journal_id"] not in {entry["id"] for entry in entries}
    assert mine.transfer["journal_id"] in {entry["id"] for entry in entries}


@pytest.mark.parametrize("side", ["debtor", "creditor"])
def test_a_transfer_naming_another_tenants_account_is_404_and_writes_nothing(
    client: TestClient,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    mine: Objects,
    theirs: Objects,
    side: str,
) -> None:
    before = ledger_state(client, tenant.treasurer, mine.debtor["id"], mine.creditor["id"])
    if side == "debtor":
        body = transfer_body(theirs.debtor["id"], mine.creditor["id"], "5.00")
    else:
        body = transfer_body(mine.debtor["id"], theirs.creditor["id"], "5.00")

    assert_problem(post_transfer(client, tenant.treasurer, body), 404, "NOT_FOUND")

    assert ledger_state(client, tenant.treasurer, mine.debtor["id"], mine.creditor["id"]) == before
    owner = ledger_state(client, other_tenant.treasurer, theirs.debtor["id"], theirs.creditor["id"])
    assert owner.balances[theirs.debtor["id"]] == ("990.00", "990.00")
    assert owner.balances[theirs.creditor["id"]] == ("10.00", "10.00")
    assert owner.transfers == [theirs.transfer["id"]]


def test_a_transfer_to_another_tenants_counterparty_is_404(
    client: TestClient, tenant: TenantFixture, mine: Objects, theirs: Objects
) -> None:
    before = ledger_state(client, tenant.treasurer, mine.debtor["id"])
    body = transfer_body(mine.debtor["id"], "", "5.00")
    del body["creditor_account_id"]
    body.update(counterparty_id=theirs.counterparty["id"], bop_code="121010")

    assert_problem(post_transfer(client, tenant.treasurer, body), 404, "NOT_FOUND")

    assert ledger_state(client, tenant.treasurer, mine.debtor["id"]) == before


def test_statement_lines_for_another_tenants_account_are_404(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture, theirs: Objects
) -> None:
    line = {"bank_ref": uuid.uuid4().hex, "value_date": "2026-11-20", "amount": "999.00"}

    response = client.post(
        f"/v1/accounts/{theirs.debtor['id']}/statement-lines",
        json={"lines": [line]},
        headers=tenant.treasurer,
    )

    assert_problem(response, 404, "NOT_FOUND")
    owner = ledger_state(client, other_tenant.treasurer, theirs.debtor["id"])
    assert owner.balances[theirs.debtor["id"]] == ("990.00", "990.00")
    lines = get_json(
        client, f"/v1/accounts/{theirs.debtor['id']}/statement-lines", other_tenant.treasurer
    )
    assert line["bank_ref"] not in {item["bank_ref"] for item in lines["items"]}


def test_other_writes_on_another_tenants_objects_are_404(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture, theirs: Objects
) -> None:
    headers = tenant.admin
    writes = [
        ("PATCH", f"/v1/entities/{theirs.entity['id']}", {"name": "Taken over"}),
        ("PATCH", f"/v1/counterparties/{theirs.counterparty['id']}", {"name": "Taken over"}),
        (
            "POST",
            "/v1/accounts",
            {"entity_id": theirs.entity["id"], "currency": "CNY", "number": "N"},
        ),
        (
            "POST",
            "/v1/entities",
            {
                "code": "SUB",
                "name": "Sub",
                "country": "CN",
                "parent_entity_id": theirs.entity["id"],
            },
        ),
    ]
    for method, path, body in writes:
        response = client.request(method, path, json=body, headers=headers)
        assert_problem(response, 404, "NOT_FOUND")
    stolen = f"/v1/journal-entries/{theirs.transfer['journal_id']}/reversal"
    assert_problem(client.post(stolen, json={"reason": "x"}, headers=headers), 404, "NOT_FOUND")

    owner = other_tenant.auditor
    assert get_json(client, f"/v1/entities/{theirs.entity['id']}", owner)["name"] == "Entity"
    counterparty = get_json(client, f"/v1/counterparties/{theirs.counterparty['id']}", owner)
    assert counterparty["name"] == "Supplier GmbH"
    assert get_json(client, "/v1/entities", headers)["items"] == []
