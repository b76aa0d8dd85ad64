"""Entities and counterparties over HTTP: identifiers, debt-mode lock, affiliation, conflicts."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity

Json = dict[str, Any]
USCC = "91110000600037341L"
LEI = "5493001KJTIIGC8Y1R12"
BIC = "BKCHCNBJ"


def new_counterparty(client: TestClient, headers: dict[str, str], **fields: Any) -> Json:
    """POST a counterparty that must be created."""
    body = {"name": "Hamburg Machines GmbH", "country": "DE", **fields}
    response = client.post("/v1/counterparties", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


def test_valid_identifiers_are_accepted(client: TestClient, tenant: TenantFixture) -> None:
    entity = create_entity(client, tenant.treasurer, uscc=USCC, lei=LEI)
    counterparty = new_counterparty(
        client,
        tenant.treasurer,
        bank_bic=BIC,
        lei=LEI,
        address={"town": "Hamburg", "country": "DE", "postcode": "20095", "lines": ["Kai 1"]},
    )

    assert (entity["uscc"], entity["lei"]) == (USCC, LEI)
    assert get_json(client, f"/v1/entities/{entity['id']}", tenant.auditor)["uscc"] == USCC
    assert (counterparty["bank_bic"], counterparty["lei"]) == (BIC, LEI)
    assert counterparty["affiliated"] is False
    assert counterparty["resident"] is False
    assert counterparty["address"]["town"] == "Hamburg"


@pytest.mark.parametrize(
    "fields",
    [
        {"uscc": "91110000600037341M"},
        {"uscc": "9111000060003734"},
        {"lei": "5493001KJTIIGC8Y1R13"},
        {"lei": "NOTALEI"},
        {"country": "China"},
        {"country": "cn"},
    ],
)
def test_invalid_entity_identifiers_are_refused(
    client: TestClient, tenant: TenantFixture, fields: Json
) -> None:
    body = {"code": "BAD", "name": "Bad Ltd", "country": "CN", **fields}

    response = client.post("/v1/entities", json=body, headers=tenant.treasurer)

    assert_problem(response, 422, "INVALID_IDENTIFIER")
    assert get_json(client, "/v1/entities", tenant.treasurer)["items"] == []


@pytest.mark.parametrize(
    "fields",
    [{"bank_bic": "BKCH12BJ"}, {"bank_bic": "BKC"}, {"lei": "5493001KJTIIGC8Y1R13"}],
)
def test_invalid_counterparty_identifiers_are_refused(
    client: TestClient, tenant: TenantFixture, fields: Json
) -> None:
    body = {"name": "Bad Bank Customer", "country": "DE", **fields}

    response = client.post("/v1/counterparties", json=body, headers=tenant.treasurer)

    assert_problem(response, 422, "INVALID_IDENTIFIER")
    assert get_json(client, "/v1/counterparties", tenant.treasurer)["items"] == []


def test_an_invalid_identifier_in_a_patch_changes_nothing(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer, uscc=USCC)

    response = client.patch(
        f"/v1/entities/{entity['id']}",
        json={"uscc": "91110000600037341X", "name": "Renamed"},
        headers=tenant.treasurer,
    )

    assert_problem(response, 422, "INVALID_IDENTIFIER")
    stored = get_json(client, f"/v1/entities/{entity['id']}", tenant.treasurer)
    assert (stored["uscc"], stored["name"]) == (USCC, entity["name"])


def test_the_debt_mode_may_not_leave_investment_gap(
    client: TestClient, tenant: TenantFixture
) -> None:
    total = {"amount": "10000000.00", "currency": "CNY"}
    entity = create_entity(
        client, tenant.treasurer, cross_border_debt_mode="investment_gap", total_investment=total
    )
    assert entity["cross_border_debt_mode"] == "investment_gap"

    response = client.patch(
        f"/v1/entities/{entity['id']}",
        json={"cross_border_debt_mode": "macro_prudential"},
        headers=tenant.treasurer,
    )

    assert_problem(response, 422, "DEBT_MODE_LOCKED")
    stored = get_json(client, f"/v1/entities/{entity['id']}", tenant.treasurer)
    assert stored["cross_border_debt_mode"] == "investment_gap"


def test_the_debt_mode_may_move_to_investment_gap(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    assert entity["cross_border_debt_mode"] == "macro_prudential"

    response = client.patch(
        f"/v1/entities/{entity['id']}",
        json={"cross_border_debt_mode": "investment_gap"},
        headers=tenant.treasurer,
    )

    assert response.status_code == 200, response.text
    assert response.json()["cross_border_debt_mode"] == "investment_gap"


def test_a_duplicate_entity_code_is_409_within_a_tenant_only(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    create_entity(client, tenant.treasurer, code="SH-01")

    again = client.post(
        "/v1/entities",
        json={"code": "SH-01", "name": "Other", "country": "CN"},
        headers=tenant.treasurer,
    )

    assert_problem(again, 409, "CONFLICT")
    assert len(get_json(client, "/v1/entities", tenant.treasurer)["items"]) == 1
    assert create_entity(client, other_tenant.treasurer, code="SH-01")["code"] == "SH-01"


def test_renaming_to_a_taken_code_is_409(client: TestClient, tenant: TenantFixture) -> None:
    create_entity(client, tenant.treasurer, code="A")
    second = create_entity(client, tenant.treasurer, code="B")

    response = client.patch(
        f"/v1/entities/{second['id']}", json={"code": "A"}, headers=tenant.treasurer
    )

    assert_problem(response, 409, "CONFLICT")
    assert get_json(client, f"/v1/entities/{second['id']}", tenant.treasurer)["code"] == "B"


def test_entity_equity_is_kept_in_cny(client: TestClient, tenant: TenantFixture) -> None:
    body = {
        "code": "USD-EQ",
        "name": "Equity",
        "country": "CN",
        "owners_equity": {"amount": "100.00", "currency": "USD"},
    }
    response = client.post("/v1/entities", json=body, headers=tenant.treasurer)
    assert_problem(response, 422, "CURRENCY_MISMATCH")


def test_a_treasurer_cannot_set_affiliation(client: TestClient, tenant: TenantFixture) -> None:
    refused = client.post(
        "/v1/counterparties",
        json={"name": "Parent HK", "country": "HK", "affiliated": True},
        headers=tenant.treasurer,
    )
    assert_problem(refused, 403, "FORBIDDEN")
    assert get_json(client, "/v1/counterparties", tenant.treasurer)["items"] == []

    counterparty = new_counterparty(client, tenant.treasurer)
    path = f"/v1/counterparties/{counterparty['id']}"
    patch = client.patch(path, json={"affiliated": True}, headers=tenant.treasurer)
    assert_problem(patch, 403, "FORBIDDEN")
    assert get_json(client, path, tenant.treasurer)["affiliated"] is False


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_a_compliance_officer_or_an_admin_sets_affiliation(
    client: TestClient, tenant: TenantFixture, role: str
) -> None:
    headers: dict[str, str] = getattr(tenant, role)
    counterparty = new_counterparty(client, tenant.treasurer)
    path = f"/v1/counterparties/{counterparty['id']}"

    response = client.patch(path, json={"affiliated": True}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["affiliated"] is True
    assert get_json(client, path, tenant.auditor)["affiliated"] is True
    back = client.patch(path, json={"affiliated": False}, headers=headers)
    assert back.status_code == 200, back.text
    assert get_json(client, path, tenant.auditor)["affiliated"] is False


def test_a_compliance_officer_sets_only_affiliation(
    client: TestClient, tenant: TenantFixture
) -> None:
    counterparty = new_counterparty(client, tenant.treasurer)
    path = f"/v1/counterparties/{counterparty['id']}"

    response = client.patch(
        path, json={"name": "Renamed", "affiliated": True}, headers=tenant.officer
    )

    assert_problem(response, 403, "FORBIDDEN")
    stored = get_json(client, path, tenant.auditor)
    assert (stored["name"], stored["affiliated"]) == (counterparty["name"], False)
    auditor = client.patch(path, json={"affiliated": True}, headers=tenant.auditor)
    assert_problem(auditor, 403, "FORBIDDEN")


def test_an_inline_creditor_cannot_claim_affiliation(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    body = {
        "debtor_account_id": entity["id"],
        "creditor": {"name": "Sister Co", "country": "HK", "affiliated": True},
        "amount": {"amount": "1.00", "currency": "CNY"},
        "value_date": "2026-11-26",
        "purpose": "other",
        "bop_code": "121010",
    }
    response = client.post(
        "/v1/transfers", json=body, headers={**tenant.treasurer, "Idempotency-Key": "inline"}
    )
    assert_problem(response, 422, "VALIDATION_ERROR")
