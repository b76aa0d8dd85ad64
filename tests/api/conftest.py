"""Fixtures of the HTTP tests: audit sealing done before the app's engine goes; funded books."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.api_support import Books
from tests.support import TenantFixture, create_entity, fund, open_account
from treasury.audit import service as audit_service


@pytest.fixture(autouse=True)
def _audit_sealer_done_before_the_engine_is_disposed(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Let the audit sealer's timer fire and finish while the `app` fixture's engine still lives.

    A timer firing after `engine.dispose()` would open a connection nobody closes: a
    ResourceWarning, an error under `filterwarnings = error`, in whichever test runs then.
    """
    monkeypatch.setattr(audit_service, "SEAL_DELAY_SECONDS", 0.05)
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


@pytest.fixture
def books(client: TestClient, tenant: TenantFixture) -> Books:
    """The tenant's accounts, funded."""
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    hk_entity = create_entity(client, headers, country="HK", name="HK Treasury Ltd")
    books = Books(
        entity=entity,
        cny=open_account(client, headers, entity["id"]),
        cny_other=open_account(client, headers, entity["id"]),
        usd=open_account(client, headers, entity["id"], currency="USD"),
        jpy=open_account(client, headers, entity["id"], currency="JPY"),
        hk=open_account(client, headers, hk_entity["id"], bank_bic="BKCHHKHH"),
    )
    fund(client, headers, books.cny["id"], "1000.00")
    fund(client, headers, books.jpy["id"], "100000")
    fund(client, headers, books.hk["id"], "1000.00")
    return books
