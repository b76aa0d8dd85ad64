"""A camt.053 is validated by its XSD in the validation worker while it is imported (issue 14):
the XSD's verdict still comes first — before anything is committed, before a replay is
answered, over any other failure of the import — and validation survives a dead worker."""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem
from tests.api.test_iso20022_statements import entry, post, statement
from tests.api.test_routing_api import payer
from tests.support import TenantFixture, balance
from treasury.settlement import validation


def invalid(xml: bytes) -> bytes:
    """The statement with its first entry's currency code in lower case (the XSD's pattern)."""
    return xml.replace(b'Ccy="CNY"', b'Ccy="cny"', 2)


def test_an_invalid_file_is_refused_by_its_schema_and_applies_nothing(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    xml = statement(
        account["number"],
        entry("W1", "5.00", "CRDT", "2026-11-26"),
        entry("W2", "6.00", "CRDT", "2026-11-26"),
    )

    refused = assert_problem(post(client, tenant, invalid(xml)), 422, "BANK_REPORT_INVALID")
    # Another tenant's account fails the import too: the schema's verdict is the answer.
    foreign = assert_problem(post(client, other_tenant, invalid(xml)), 422, "BANK_REPORT_INVALID")

    assert refused["errors"][0]["pointer"] == "/Document/BkToCstmrStmt/Stmt/Bal/Amt"
    assert foreign["errors"] == refused["errors"]
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000000.00"
    applied = post(client, tenant, xml)
    assert applied.status_code == 200, applied.text
    assert [line["bank_ref"] for line in applied.json()["unmatched"]] == ["W1", "W2"]
    # The same message id again, but invalid: refused, not answered as a replay.
    assert_problem(post(client, tenant, invalid(xml)), 422, "BANK_REPORT_INVALID")
    assert post(client, tenant, xml).json()["replayed"] is True
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000011.00"


def test_a_dead_worker_leaves_validation_to_the_request(
    client: TestClient, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = payer(client, tenant)

    def xml() -> bytes:
        return statement(
            account["number"],
            entry(uuid.uuid4().hex[:12], "5.00", "CRDT", "2026-11-26"),
            message_id=f"STM-{uuid.uuid4().hex[:16]}",
        )

    assert post(client, tenant, xml()).status_code == 200  # the worker is up
    pool = validation._pool
    assert pool is not None
    for process in list(pool._processes.values()):
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join(10)

    assert_problem(post(client, tenant, invalid(xml())), 422, "BANK_REPORT_INVALID")
    assert post(client, tenant, xml()).status_code == 200  # a new worker
    monkeypatch.setattr(validation, "_executor", lambda: None)  # none can be started
    assert_problem(post(client, tenant, invalid(xml())), 422, "BANK_REPORT_INVALID")
    assert post(client, tenant, xml()).status_code == 200
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000015.00"
