"""Bank files are validated by their XSD in the validation worker while they are applied (issue
14): the XSD's verdict still comes first — before anything is committed, before a replay is
answered, over any other failure of the import — and validation survives a dead worker."""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem
from tests.api.test_iso20022_api import outbound
from tests.api.test_iso20022_statements import entry, post, statement
from tests.api.test_iso20022_status import identifiers, post_report, report
from tests.api.test_routing_api import counterparty, payer
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


def test_a_status_report_invalid_by_its_schema_is_refused_even_as_a_replay(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, e2e = identifiers(client, tenant, transfer["id"])
    xml = report(message_id, (e2e, "ACCP"))
    broken = xml.replace(b"<TxSts>ACCP</TxSts>", b"<TxSts>ACCEPTED</TxSts>")  # Max 4 letters

    refused = assert_problem(post_report(client, tenant, broken), 422, "BANK_REPORT_INVALID")
    applied = post_report(client, tenant, xml)
    again = assert_problem(post_report(client, tenant, broken), 422, "BANK_REPORT_INVALID")

    assert "TxSts" in refused["errors"][0]["pointer"]
    assert again["errors"] == refused["errors"]
    assert applied.status_code == 200, applied.text
    assert post_report(client, tenant, xml).json()["replayed"] is True
    found = client.get(f"/v1/transfers/{transfer['id']}", headers=tenant.treasurer).json()
    assert found["status"] == "accepted"
