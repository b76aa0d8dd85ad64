"""Issue #11 §2: one absurd number must not stop revaluation for everyone. A hedge stored with a
strike of 1E+30 or 1E+400 (before the bounds at the door) is set aside and the rest of the book
revalued; a tenant whose run fails outright (here: a snapshot document that no longer reads)
stops neither the daily job nor `treasury revalue` for the other tenants, and is recorded.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from hedging.service import jobs, revaluation
from hedging.tables import HedgeRow, MarketSnapshotRow, RevaluationRunRow
from tests.api.test_hedging_api import exporter, forward_hedge, post_snapshot, snapshot
from tests.support import TenantFixture
from treasury.db.unit_of_work import UnitOfWorkFactory

Json = dict[str, Any]


@pytest.fixture(autouse=True)
def _audit_sealed_before_the_app_closes(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


def book(
    client: TestClient, tenant: TenantFixture, delivery: str = "2027-05-26", **fields: Any
) -> Json:
    entity, _, exposure = exporter(client, tenant)
    body = forward_hedge(entity, exposure, "1000.00", **fields)
    body["instrument"]["delivery_date"] = delivery
    response = client.post("/v1/hedges", json=body, headers=tenant.treasurer)
    assert response.status_code == 201, response.text
    hedge: Json = response.json()
    return hedge


def poison(uow_factory: UnitOfWorkFactory, hedge_id: str, strike: str) -> None:
    """What a hedge booked before the bounds may hold: an absurd strike, document and column."""
    with uow_factory() as uow:
        row = uow.session.get(HedgeRow, hedge_id)
        assert row is not None
        document = json.loads(row.instrument_json)
        document["strike"] = strike
        row.instrument_json = json.dumps(document, sort_keys=True)
        row.strike = Decimal(strike)
        uow.commit()


@pytest.fixture
def unreadable_snapshot(
    client: TestClient, other_tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> Iterator[TenantFixture]:
    """Another tenant whose stored snapshot no longer reads (its run fails with a JSON error,
    not a TreasuryError); removed afterwards, so that later runs over the shared database do not
    meet it."""
    post_snapshot(client, other_tenant.treasurer, snapshot("2026-11-26", "7.0850"))
    where = MarketSnapshotRow.tenant_id == other_tenant.id
    with uow_factory() as uow:
        uow.session.execute(update(MarketSnapshotRow).where(where).values(document_json="{"))
        uow.commit()
    yield other_tenant
    with uow_factory() as uow:
        uow.session.execute(
            update(MarketSnapshotRow)
            .where(where)
            .values(document_json=json.dumps(snapshot("2026-11-26", "7.0850")))
        )
        uow.commit()


def audit_events(
    client: TestClient, tenant: TenantFixture, object_id: str, action: str
) -> list[Json]:
    response = client.get(f"/v1/audit-events?object_id={object_id}", headers=tenant.auditor)
    assert response.status_code == 200, response.text
    return [item for item in response.json()["items"] if item["action"] == action]


def run_dates(uow_factory: UnitOfWorkFactory, tenant_id: str) -> list[date]:
    with uow_factory() as uow:
        query = select(RevaluationRunRow.as_of).where(RevaluationRunRow.tenant_id == tenant_id)
        return sorted(uow.session.scalars(query).all())


def test_hedges_stored_with_absurd_strikes_are_set_aside_and_the_rest_revalued(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    headers = tenant.treasurer
    post_snapshot(client, headers, snapshot("2026-11-26", "7.2850"))
    good = book(client, tenant)
    vanilla = book(client, tenant)
    designated = book(client, tenant, designation="cash_flow")
    poison(uow_factory, vanilla["id"], "1E+30")
    poison(uow_factory, designated["id"], "1E+400")

    response = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)
    again = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)

    assert response.status_code == 201, response.text
    run = response.json()
    assert (run["status"], run["count"]) == ("partial", 1)
    assert {item["hedge_id"] for item in run["set_aside"]} == {vanilla["id"], designated["id"]}
    assert all("strike" in item["reason"] for item in run["set_aside"])
    assert (again.status_code, again.json()["status"], again.json()["id"]) == (
        200,
        "partial",
        run["id"],
    )
    valued = client.get(f"/v1/hedges/{good['id']}/valuation?as_of=2026-11-26", headers=headers)
    assert valued.json()["stored_npv"] == valued.json()["npv"] == run["npv_total"]
    [event] = audit_events(client, tenant, run["id"], "hedging.revaluation_partial")
    assert event["after"]["set_aside"] == 2
    for hedge in (vanilla, designated):
        shown = client.get(f"/v1/hedges/{hedge['id']}/valuation?as_of=2026-11-26", headers=headers)
        assert shown.status_code == 422, shown.text  # never a 500


def test_a_maturing_hedge_with_an_absurd_strike_is_not_settled_and_stays_live(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    headers = tenant.treasurer
    post_snapshot(client, headers, snapshot("2026-11-26", "7.0850"))
    good = book(client, tenant, delivery="2026-11-27")
    bad = book(client, tenant, delivery="2026-11-27")
    revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))
    poison(uow_factory, bad["id"], "1E+30")
    post_snapshot(client, headers, snapshot("2026-11-27", "6.9000"))

    run = revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 27))

    assert (run.status, run.count, run.settled) == ("partial", 0, 1)
    assert [item.hedge_id for item in run.set_aside] == [bad["id"]]
    statuses = {
        hedge["id"]: hedge["status"]
        for hedge in client.get("/v1/hedges", headers=headers).json()["items"]
    }
    assert statuses == {good["id"]: "matured", bad["id"]: "live"}


def test_the_daily_job_carries_on_past_a_failing_tenant(
    client: TestClient,
    tenant: TenantFixture,
    unreadable_snapshot: TenantFixture,
    uow_factory: UnitOfWorkFactory,
) -> None:
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.2850"))
    book(client, tenant)
    poison(uow_factory, book(client, tenant)["id"], "1E+30")
    assert unreadable_snapshot.slug < tenant.slug  # the failing tenant's turn comes first

    failures = jobs.daily_revaluation(uow_factory)

    assert run_dates(uow_factory, tenant.id) == [date(2026, 11, 26)]
    assert run_dates(uow_factory, unreadable_snapshot.id) == []
    [failure] = [f for f in failures if f.tenant_id == unreadable_snapshot.id]
    assert (failure.job, failure.on) == ("hedging.revaluation", date(2026, 11, 26))
    assert "JSONDecodeError" in failure.error
    [event] = audit_events(client, unreadable_snapshot, unreadable_snapshot.id, "job.failed")
    assert event["after"]["date"] == "2026-11-26"


def test_treasury_revalue_runs_every_tenant_and_exits_non_zero_naming_the_failed(
    client: TestClient,
    tenant: TenantFixture,
    unreadable_snapshot: TenantFixture,
    uow_factory: UnitOfWorkFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from treasury import cli

    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.2850"))
    book(client, tenant)
    bad = book(client, tenant)
    poison(uow_factory, bad["id"], "1E+400")
    monkeypatch.setenv("TREASURY_DATABASE_URL", database_url)
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: uow_factory)

    result = CliRunner().invoke(cli.app, ["revalue", "--date", "2026-11-26"])

    assert result.exit_code == 1, result.output
    assert f"{unreadable_snapshot.slug}: FAILED (JSONDecodeError" in result.output
    assert f"{tenant.slug}: partial 2026-11-26: 1 hedges" in result.output
    assert f"hedge {bad['id']} set aside" in result.output
    assert run_dates(uow_factory, tenant.id) == [date(2026, 11, 26)]
    [event] = audit_events(client, unreadable_snapshot, unreadable_snapshot.id, "job.failed")
    assert "JSONDecodeError" in event["after"]["error"]
