"""A typed client generated from the service's own /openapi.json with openapi-python-client
(issue 13) imports, creates a transfer and reads a 422 problem — proof that the document is one
tools can use. The client talks to the app in process: an httpx transport hands its requests to
the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import TenantFixture, create_entity, fund, open_account
from treasury.api.app import create_app
from treasury.settings import Settings

PACKAGE = "treasury_generated_client"
CONFIG = """\
post_hooks: []
content_type_overrides:
  application/xml: application/octet-stream
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated once for this module from the app's OpenAPI document."""
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    app = create_app(Settings(database_url=f"sqlite:///{folder / 'unused.db'}"))
    document.write_text(json.dumps(app.openapi()), encoding="utf-8")
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(folder / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


class ToTestClient(httpx.BaseTransport):
    """Hands the generated client's requests to the app through the test client."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.client.request(
            request.method,
            request.url.raw_path.decode("ascii"),
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            content=request.read(),
        )
        return httpx.Response(
            answer.status_code, headers=list(answer.headers.items()), content=answer.content
        )


def module(generated: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{generated.__name__}.{name}")


@pytest.fixture
def typed(generated: ModuleType, client: TestClient, tenant: TenantFixture) -> Any:
    """The generated client, authenticated as the tenant's treasurer."""
    token = tenant.treasurer["Authorization"].removeprefix("Bearer ")
    typed_client = generated.AuthenticatedClient(base_url="http://testserver", token=token)
    typed_client.set_httpx_client(
        httpx.Client(
            base_url="http://testserver",
            transport=ToTestClient(client),
            headers={"Authorization": f"Bearer {token}"},
        )
    )
    return typed_client


def test_the_generated_client_creates_a_transfer_and_lists_it(
    generated: ModuleType, typed: Any, client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"])
    creditor = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, debtor["id"], "1000.00")
    models = module(generated, "models")
    create = module(generated, "api.transfers.create_transfer_v1_transfers_post")
    listing = module(generated, "api.transfers.list_transfers_v1_transfers_get")
    body = models.TransferIn(
        debtor_account_id=debtor["id"],
        creditor_account_id=creditor["id"],
        amount=models.PositiveMoneyIn(amount="250.00", currency="CNY"),
        value_date=date(2026, 11, 26),
        purpose=models.Purpose.OTHER,
    )

    response = create.sync_detailed(client=typed, body=body, idempotency_key=uuid.uuid4().hex)

    assert response.status_code == 201, response.content
    transfer = response.parsed
    assert isinstance(transfer, models.TransferOut)
    assert (transfer.status, transfer.amount.amount, transfer.amount.currency) == (
        "booked",
        "250.00",
        "CNY",
    )
    page = listing.sync(client=typed, entity_id=entity["id"], limit=10)
    assert isinstance(page, models.TransferList)
    assert ([item.id for item in page.items], page.total) == ([transfer.id], 1)


def test_the_generated_client_reads_a_422_problem(
    generated: ModuleType, typed: Any, client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"])
    creditor = open_account(client, tenant.treasurer, entity["id"])
    models = module(generated, "models")
    create = module(generated, "api.transfers.create_transfer_v1_transfers_post")
    body = models.TransferIn(
        debtor_account_id=debtor["id"],
        creditor_account_id=creditor["id"],
        amount=models.PositiveMoneyIn(amount="1.001", currency="CNY"),  # CNY has two decimals
        value_date=date(2026, 11, 26),
        purpose=models.Purpose.OTHER,
    )

    response = create.sync_detailed(client=typed, body=body, idempotency_key=uuid.uuid4().hex)

    assert response.status_code == 422
    problem = response.parsed
    assert isinstance(problem, models.Problem)
    assert (problem.status, problem.code) == (422, "VALIDATION_ERROR")
    assert "/amount" in problem.detail
    assert response.headers["content-type"].startswith("application/problem+json")
