"""Daily revaluation on both databases: idempotent per date, balanced postings, settlement at
maturity and close-out, the scheduler's catch-up of missed China business days, the CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from hedging.service import jobs, revaluation
from hedging.tables import RevaluationRunRow, ValuationRow
from tests.api.test_hedging_api import exporter, forward_hedge, post_snapshot, snapshot
from tests.support import TenantFixture
from treasury.clock import FixedClock
from treasury.db.lease import LeaseRow
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import Conflict
from treasury.ledger.tables import JournalEntryRow, LedgerAccountRow, PostingRow
from treasury.scheduler import JOBS, run_under_lease

Json = dict[str, Any]


@pytest.fixture(autouse=True)
def _audit_sealed_before_the_app_closes(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Let the audit sealer's timer finish before the `app` fixture disposes its engine (a timer
    firing later would leave a connection open: a ResourceWarning under filterwarnings=error)."""
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


def entry_count(uow_factory: UnitOfWorkFactory, tenant_id: str) -> int:
    with uow_factory() as uow:
        query = (
            select(func.count())
            .select_from(JournalEntryRow)
            .where(JournalEntryRow.tenant_id == tenant_id)
        )
        return int(uow.session.scalar(query) or 0)


def balances(uow_factory: UnitOfWorkFactory, entity_id: str) -> dict[str, int]:
    with uow_factory() as uow:
        rows = uow.session.scalars(
            select(LedgerAccountRow).where(LedgerAccountRow.entity_id == entity_id)
        ).all()
        return {row.kind: row.balance_minor for row in rows}


def book(
    client: TestClient, tenant: TenantFixture, amount: str = "1000000.00"
) -> tuple[Json, Json]:
    entity, _, exposure = exporter(client, tenant)
    response = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, amount), headers=tenant.treasurer
    )
    assert response.status_code == 201, response.text
    return entity, response.json()


def test_a_rerun_posts_nothing_and_every_entry_balances(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    entity, _ = book(client, tenant)
    book(client, tenant, "250000.00")
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.2850"))

    first = revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))
    entries = entry_count(uow_factory, tenant.id)
    again = revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))

    assert (first.replayed, again.replayed) == (False, True)
    assert again.id == first.id
    assert again.npv_total == first.npv_total
    assert entry_count(uow_factory, tenant.id) == entries
    assert first.count == 2
    with uow_factory() as uow:
        rows = uow.session.execute(
            select(PostingRow.currency, PostingRow.amount_minor).where(
                PostingRow.tenant_id == tenant.id
            )
        ).all()
        assert rows
        assert all(amount > 0 for _, amount in rows)
        valued = uow.session.scalar(
            select(func.count())
            .select_from(ValuationRow)
            .where(ValuationRow.tenant_id == tenant.id)
        )
        assert valued == 2
    # USD rallied against the short forwards: a liability equal to the loss in the result.
    books = balances(uow_factory, entity["id"])
    assert books["derivative_liability"] < 0
    assert books["fx_result_unrealised"] == -books["derivative_liability"]
    assert sum(books.values()) == 0


def test_two_concurrent_runs_of_one_date_post_once(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    book(client, tenant)
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.1850"))
    results: list[revaluation.RevaluationRun] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(
                revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))
            )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(r.replayed for r in results) == [False, True]
    assert len({r.id for r in results}) == 1
    with uow_factory() as uow:
        runs = uow.session.scalar(
            select(func.count())
            .select_from(RevaluationRunRow)
            .where(RevaluationRunRow.tenant_id == tenant.id)
        )
    assert runs == 1
    assert entry_count(uow_factory, tenant.id) == 1


def test_a_matured_deal_settles_in_cny_against_the_bank_account(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    entity, hedge = book(client, tenant, "100000.00")
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.0850"))
    revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))
    post_snapshot(client, tenant.treasurer, snapshot("2027-05-26", "6.9000"))

    run = revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2027, 5, 26))

    assert (run.count, run.settled) == (0, 1)
    # Sold USD 100,000 at 7.0000, USD fixes at 6.9000: the bank pays CNY 10,000.00.
    account = hedge["settlement_account_id"]
    with uow_factory() as uow:
        bank = uow.session.get(LedgerAccountRow, account)
        assert bank is not None
        assert bank.balance_minor == 1_000_000
    books = balances(uow_factory, entity["id"])
    assert books["fx_result_realised"] == -1_000_000
    assert books.get("derivative_asset", 0) == books.get("derivative_liability", 0) == 0
    assert books.get("fx_result_unrealised", 0) == 0
    shown = client.get(f"/v1/hedges/{hedge['id']}", headers=tenant.auditor).json()
    assert shown["status"] == "matured"


def test_a_closed_hedge_is_settled_at_its_close_out_value(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    entity, hedge = book(client, tenant)
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.0850"))
    revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-27", "7.2000"))
    closed = client.post(
        f"/v1/hedges/{hedge['id']}/close",
        json={"date": "2026-11-27", "change_of_underlying_ref": "CONTRACT-CANCELLED-77"},
        headers=tenant.treasurer,
    )
    assert closed.status_code == 200, closed.text
    value = client.get(
        f"/v1/hedges/{hedge['id']}/valuation?as_of=2026-11-26", headers=tenant.auditor
    )
    assert value.status_code == 200, value.text

    run = revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 27))

    assert (run.count, run.settled) == (0, 1)
    books = balances(uow_factory, entity["id"])
    assert books.get("derivative_asset", 0) == books.get("derivative_liability", 0) == 0
    assert books["fx_result_realised"] > 0  # the short forward lost when USD rose
    assert books["bank"] == -books["fx_result_realised"]
    assert sum(books.values()) == 0


def test_an_earlier_date_after_a_later_one_is_refused(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    book(client, tenant)
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-20", "7.0850"))
    revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))

    with pytest.raises(Conflict):
        revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 25))


def test_the_scheduled_job_catches_missed_business_days_up_in_order(
    client: TestClient,
    tenant: TenantFixture,
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    book(client, tenant)
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-19", "7.0850"))
    revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 19))
    [job] = [job for job in JOBS if job.id == "hedging.revaluation"]
    # The test databases outlive a run: a lease another test process released at the fixed test
    # instant would still look held to this one (the lease frees strictly after its expiry).
    with uow_factory() as uow:
        uow.session.execute(delete(LeaseRow).where(LeaseRow.name == job.id))
        uow.commit()

    assert run_under_lease(uow_factory, job)
    assert run_under_lease(uow_factory, job)  # again: nothing new

    with uow_factory() as uow:
        dates = uow.session.scalars(
            select(RevaluationRunRow.as_of)
            .where(RevaluationRunRow.tenant_id == tenant.id)
            .order_by(RevaluationRunRow.created_at, RevaluationRunRow.as_of)
        ).all()
    # Thu 11-19 by hand, then Fri 11-20, Mon 11-23 … Thu 11-26 (the weekend skipped).
    assert list(dates) == [
        date(2026, 11, 19),
        date(2026, 11, 20),
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 26),
    ]
    assert jobs.dates_to_revalue(date(2026, 11, 26), date(2026, 11, 26)) == []


def test_the_cli_imports_market_data_and_revalues(
    client: TestClient,
    tenant: TenantFixture,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    uow_factory: UnitOfWorkFactory,
) -> None:
    from treasury import cli

    book(client, tenant)
    path = tmp_path / "market.json"
    path.write_text(json.dumps([snapshot("2026-11-26", "7.0850")]), encoding="utf-8")
    monkeypatch.setenv("TREASURY_DATABASE_URL", database_url)
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: uow_factory)
    runner = CliRunner()

    loaded = runner.invoke(cli.app, ["market-data", "import", str(path), "--tenant", tenant.slug])
    first = runner.invoke(cli.app, ["revalue", "--date", "2026-11-26", "--tenant", tenant.slug])
    again = runner.invoke(cli.app, ["revalue", "--date", "2026-11-26", "--tenant", tenant.slug])

    assert loaded.exit_code == 0, loaded.output
    assert "2026-11-26" in loaded.output
    assert first.exit_code == 0, first.output
    assert "completed 2026-11-26: 1 hedges" in first.output
    assert "already revalued" in again.output
    [hedge] = client.get("/v1/hedges", headers=tenant.auditor).json()["items"]
    stored = client.get(
        f"/v1/hedges/{hedge['id']}/valuation?as_of=2026-11-26", headers=tenant.auditor
    )
    assert stored.json()["stored_npv"] == stored.json()["npv"]
