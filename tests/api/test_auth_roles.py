"""Authentication and roles over HTTP (DESIGN §4.2): 401 without a valid token, 403 for a role."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, update

from tests.api.api_support import assert_problem, get_json
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import Role
from treasury.tenancy.tables import TokenRow

PROTECTED = [
    ("GET", "/v1/entities"),
    ("GET", "/v1/accounts"),
    ("GET", "/v1/transfers"),
    ("GET", "/v1/journal-entries"),
    ("GET", "/v1/reference-rates"),
    ("GET", "/v1/settings"),
    ("POST", "/v1/transfers"),
    ("POST", "/v1/entities"),
]


def entity_codes(client: TestClient, tenant: TenantFixture) -> list[str]:
    """The codes of the tenant's entities, as its treasurer sees them."""
    return [item["code"] for item in get_json(client, "/v1/entities", tenant.treasurer)["items"]]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer trs_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz"]
)
def test_a_missing_or_invalid_token_is_401_unauthenticated(
    client: TestClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if authorization is not None:
        headers["Authorization"] = authorization

    response = client.request(method, path, headers=headers, json={})

    assert_problem(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_made_through_the_api_works_until_it_is_revoked(
    client: TestClient, tenant: TenantFixture
) -> None:
    made = client.post(
        "/v1/tokens", json={"role": "treasurer", "name": "erp connector"}, headers=tenant.admin
    )
    assert made.status_code == 201, made.text
    token = made.json()
    assert token["role"] == "treasurer"
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert create_entity(client, headers)["id"]

    listed = get_json(client, "/v1/tokens", tenant.admin)["items"]
    mine = [item for item in listed if item["id"] == token["id"]]
    assert len(mine) == 1
    assert mine[0]["token"] is None  # the secret is shown only when made
    assert mine[0]["revoked_at"] is None

    revoked = client.delete(f"/v1/tokens/{token['id']}", headers=tenant.admin)
    assert revoked.status_code == 204, revoked.text

    assert_problem(client.get("/v1/entities", headers=headers), 401, "UNAUTHENTICATED")
    assert_problem(
        client.post(
            "/v1/entities", json={"code": "X", "name": "X", "country": "CN"}, headers=headers
        ),
        401,
        "UNAUTHENTICATED",
    )
    listed = get_json(client, "/v1/tokens", tenant.admin)["items"]
    assert [item["revoked_at"] for item in listed if item["id"] == token["id"]] != [None]


def test_a_revocation_by_another_process_takes_effect_within_the_cache_time(
    client: TestClient,
    tenant: TenantFixture,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tenancy_service, "PRINCIPAL_CACHE_SECONDS", 0.3)
    made = client.post(
        "/v1/tokens", json={"role": "treasurer", "name": "erp"}, headers=tenant.admin
    ).json()
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/v1/entities", headers=headers).status_code == 200  # now cached

    # Another API process revokes it: this process learns of it only from the database.
    with engine.begin() as connection:
        connection.execute(
            update(TokenRow).where(TokenRow.id == made["id"]).values(revoked_at=func.now())
        )
    time.sleep(0.4)

    assert_problem(client.get("/v1/entities", headers=headers), 401, "UNAUTHENTICATED")


def test_tokens_are_managed_by_the_admin_only(client: TestClient, tenant: TenantFixture) -> None:
    body = {"role": "auditor", "name": "sneaky"}
    for role in (Role.TREASURER, Role.COMPLIANCE_OFFICER, Role.AUDITOR):
        headers = tenant.headers[role]
        assert_problem(client.post("/v1/tokens", json=body, headers=headers), 403, "FORBIDDEN")
        assert_problem(client.get("/v1/tokens", headers=headers), 403, "FORBIDDEN")
    names = [item["name"] for item in get_json(client, "/v1/tokens", tenant.admin)["items"]]
    assert "sneaky" not in names


def test_another_tenants_token_cannot_be_revoked(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    made = client.post("/v1/tokens", json={"role": "auditor", "name": "a"}, headers=tenant.admin)
    assert made.status_code == 201, made.text

    response = client.delete(f"/v1/tokens/{made.json()['id']}", headers=other_tenant.admin)

    assert_problem(response, 404, "NOT_FOUND")
    still = {"Authorization": f"Bearer {made.json()['token']}"}
    assert client.get("/v1/entities", headers=still).status_code == 200


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMPLIANCE_OFFICER])
def test_readers_cannot_write_entities_accounts_or_transfers(
    client: TestClient, tenant: TenantFixture, role: Role
) -> None:
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"])
    creditor = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, debtor["id"], "100.00")
    headers = tenant.headers[role]
    writes: list[tuple[str, dict[str, Any]]] = [
        ("/v1/entities", {"code": "READER", "name": "Reader Ltd", "country": "CN"}),
        ("/v1/accounts", {"entity_id": entity["id"], "currency": "CNY", "number": "R-1"}),
        ("/v1/counterparties", {"name": "Supplier", "country": "DE"}),
    ]
    for path, body in writes:
        assert_problem(client.post(path, json=body, headers=headers), 403, "FORBIDDEN")
    transfer = post_transfer(client, headers, transfer_body(debtor["id"], creditor["id"], "10.00"))
    assert_problem(transfer, 403, "FORBIDDEN")
    line = {"bank_ref": "R", "value_date": "2026-11-20", "amount": "5.00"}
    statement = client.post(
        f"/v1/accounts/{debtor['id']}/statement-lines", json={"lines": [line]}, headers=headers
    )
    assert_problem(statement, 403, "FORBIDDEN")

    # They read everything of the tenant, and nothing was written.
    assert entity_codes(client, tenant) == [entity["code"]]
    assert get_json(client, "/v1/entities", headers)["items"][0]["id"] == entity["id"]
    assert get_json(client, "/v1/transfers", headers)["items"] == []
    assert get_json(client, "/v1/counterparties", headers)["items"] == []
    assert balance(client, headers, debtor["id"])["balance"] == "100.00"


def test_a_treasurer_may_not_write_reference_data_or_touch_settings(
    client: TestClient, tenant: TenantFixture
) -> None:
    rate = {"date": "2026-11-26", "pair": "USDCNY", "rate": "7.1000"}
    parameter = {
        "name": "test.treasurer_attempt",
        "value": "1",
        "effective_from": "2026-01-01",
        "source": "x",
    }
    treasurer = tenant.treasurer
    assert_problem(
        client.post("/v1/reference-rates", json=rate, headers=treasurer), 403, "FORBIDDEN"
    )
    assert_problem(
        client.post("/v1/parameters", json=parameter, headers=treasurer), 403, "FORBIDDEN"
    )
    assert_problem(client.get("/v1/settings", headers=treasurer), 403, "FORBIDDEN")
    patch = {"back_valuation_limit_days": 1}
    assert_problem(client.patch("/v1/settings", json=patch, headers=treasurer), 403, "FORBIDDEN")
    assert get_json(client, "/v1/settings", tenant.admin)["back_valuation_limit_days"] is None
    listed = get_json(client, "/v1/parameters?name=test.treasurer_attempt", treasurer)
    assert listed["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/v1/entities",
        "/v1/accounts",
        "/v1/counterparties",
        "/v1/transfers",
        "/v1/journal-entries",
        "/v1/reviews?status=pending",
        "/v1/settings",
        "/v1/tokens",
    ],
)
def test_the_operator_sees_no_tenant_data(
    client: TestClient, operator_headers: dict[str, str], path: str
) -> None:
    assert_problem(client.get(path, headers=operator_headers), 403, "FORBIDDEN")


def test_the_operator_cannot_write_tenant_data(
    client: TestClient, operator_headers: dict[str, str], tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    body = {"code": "OPS", "name": "Operator Ltd", "country": "CN"}
    assert_problem(
        client.post("/v1/entities", json=body, headers=operator_headers), 403, "FORBIDDEN"
    )
    assert_problem(
        client.get(f"/v1/entities/{entity['id']}", headers=operator_headers), 403, "FORBIDDEN"
    )
    assert entity_codes(client, tenant) == [entity["code"]]


def test_the_operator_writes_reference_data_and_every_tenant_role_reads_it(
    client: TestClient, operator_headers: dict[str, str], tenant: TenantFixture
) -> None:
    day = f"{2200 + uuid.uuid4().int % 6000}-03-0{1 + uuid.uuid4().int % 9}"
    name = f"test.operator_{uuid.uuid4().hex[:10]}"
    rate = {"date": day, "pair": "USDCNY", "rate": "7.1234"}
    parameter = {"name": name, "value": "0.25", "effective_from": day, "source": "test note"}

    posted_rate = client.post("/v1/reference-rates", json=rate, headers=operator_headers)
    posted_parameter = client.post("/v1/parameters", json=parameter, headers=operator_headers)

    assert posted_rate.status_code == 201, posted_rate.text
    assert posted_parameter.status_code == 201, posted_parameter.text
    for role in Role:
        if role is Role.OPERATOR:
            continue
        headers = tenant.headers[role]
        found = get_json(client, f"/v1/reference-rates/USDCNY/on/{day}", headers)
        assert found["rate"] == "7.1234"
        listed = get_json(client, f"/v1/parameters?name={name}", headers)["items"]
        assert [item["value"] for item in listed] == ["0.25"]


def test_an_admin_does_what_a_treasurer_does_and_manages_settings(
    client: TestClient, tenant: TenantFixture
) -> None:
    admin = tenant.admin
    entity = create_entity(client, admin)
    debtor = open_account(client, admin, entity["id"])
    creditor = open_account(client, admin, entity["id"])
    fund(client, admin, debtor["id"], "300.00")
    response = post_transfer(client, admin, transfer_body(debtor["id"], creditor["id"], "120.00"))
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "booked"
    assert balance(client, admin, creditor["id"])["balance"] == "120.00"

    assert get_json(client, "/v1/settings", admin)["back_valuation_limit_days"] is None
    patched = client.patch(
        "/v1/settings",
        json={
            "back_valuation_limit_days": 30,
            "dual_approval_threshold": {"amount": "1000000.00", "currency": "CNY"},
        },
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    settings = get_json(client, "/v1/settings", admin)
    assert settings["back_valuation_limit_days"] == 30
    assert settings["dual_approval_threshold"] == {"amount": "1000000.00", "currency": "CNY"}
