"""The API's documentation works offline and its OpenAPI document is fit to generate clients
(issue 13): /docs and /redoc load nothing from outside the service; errors are problem+json;
decimals are strings with a pattern; Idempotency-Key is required where the server requires it;
XML bodies are declared."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem
from tests.support import TenantFixture

Json = dict[str, Any]
ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


def referenced(html: str) -> list[str]:
    """Every URL a page's markup or Swagger UI's setup names."""
    return [a or b for a, b in ASSET.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_pages_load_only_what_the_service_serves(
    client: TestClient, page: str
) -> None:
    response = client.get(page)

    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    urls = referenced(response.text)
    assert urls, response.text
    assert not [url for url in urls if "//" in url], urls  # no CDN, no other host
    assert "fonts.googleapis" not in response.text
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    scripts = [u for u in urls if u.endswith(".js")]
    assert scripts, urls


def operations(app: FastAPI) -> list[tuple[str, str, Json]]:
    return [
        (method, path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def test_every_error_response_is_a_problem(app: FastAPI) -> None:
    document = app.openapi()
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    checked = 0
    for method, path, operation in operations(app):
        assert "500" in operation["responses"], (method, path)
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)
                checked += 1
    assert checked > 300


def test_decimals_are_strings_with_a_pattern(app: FastAPI) -> None:
    document = app.openapi()
    text = repr(document)
    assert "{'type': 'number'}, {'type': 'string'}" not in text

    fx_rate = document["components"]["schemas"]["TransferIn"]["properties"]["fx_rate"]
    decimal = next(option for option in fx_rate["anyOf"] if option.get("type") == "string")
    assert decimal["pattern"] == "^-?[0-9]+(\\.[0-9]+)?$"
    spot = document["components"]["schemas"]["FlatMarketIn"]["properties"]["spot"]
    assert (spot["type"], "anyOf" in spot) == ("string", False)


def idempotency_header(app: FastAPI, method: str, path: str) -> Json:
    operation = app.openapi()["paths"][path][method]
    return next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")


def test_idempotency_key_is_declared_required_where_the_server_requires_it(
    app: FastAPI, client: TestClient, tenant: TenantFixture
) -> None:
    assert idempotency_header(app, "post", "/v1/transfers")["required"] is True
    assert idempotency_header(app, "post", "/v1/hedges").get("required", False) is False

    refused = client.post("/v1/transfers", json={}, headers=tenant.treasurer)

    assert_problem(refused, 422, "IDEMPOTENCY_KEY_REQUIRED")


@pytest.mark.parametrize("path", ["/v1/statements/camt053", "/v1/payment-status/pain002"])
def test_xml_bodies_are_declared(app: FastAPI, path: str) -> None:
    body = app.openapi()["paths"][path]["post"]["requestBody"]

    assert body["required"] is True
    assert body["content"]["application/xml"]["schema"]["type"] == "string"
    assert "contentMediaType" not in body["content"]["application/xml"]["schema"]


def test_lists_declare_their_csv(app: FastAPI) -> None:
    answer = app.openapi()["paths"]["/v1/transfers"]["get"]["responses"]["200"]["content"]

    assert set(answer) == {"application/json", "text/csv"}
