"""`treasury serve` and the `treasury` CLI together, as an operator deploys them (DESIGN §4.1).

Tokens made by the CLI work against the live server with the roles §4.2 gives them.
"""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.conftest import CliTenant, Server, last_line

RATE = {"date": "2026-11-26", "pair": "USDCNY", "rate": "7.1234", "source": "e2e"}


def test_the_server_is_healthy(http: httpx.Client) -> None:
    response = http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_treasurer_token_from_the_cli_creates_an_entity(
    http: httpx.Client, cli_tenant: CliTenant
) -> None:
    body = {"code": f"E{uuid.uuid4().hex[:6]}", "name": "Shenzhen Works", "country": "CN"}

    created = http.post("/v1/entities", json=body, headers=cli_tenant.treasurer)

    assert created.status_code == 201, created.text
    listed = http.get("/v1/entities", headers=cli_tenant.treasurer)
    assert listed.status_code == 200
    assert created.json()["id"] in {item["id"] for item in listed.json()["items"]}


def test_a_request_without_a_token_is_unauthenticated(http: httpx.Client) -> None:
    response = http.get("/v1/entities")

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"


def test_an_operator_token_reads_no_tenant_data(
    http: httpx.Client, operator: dict[str, str]
) -> None:
    response = http.get("/v1/entities", headers=operator)

    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


def test_an_operator_token_writes_reference_rates(
    http: httpx.Client, operator: dict[str, str]
) -> None:
    response = http.post("/v1/reference-rates", json=RATE, headers=operator)

    assert response.status_code == 201, response.text
    assert response.json()["pair"] == "USDCNY"
    assert response.json()["rate"] == "7.1234"


def test_a_tenant_token_cannot_write_reference_data(
    http: httpx.Client, cli_tenant: CliTenant
) -> None:
    response = http.post("/v1/reference-rates", json=RATE, headers=cli_tenant.treasurer)

    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


def test_tenant_create_twice_is_idempotent(server: Server, cli_tenant: CliTenant) -> None:
    again = server.cli("tenant", "create", cli_tenant.slug, "--name", "Another name")

    assert last_line(again.stdout) == cli_tenant.id
    assert "exists" in again.stderr
