"""Market data that arrives by itself (issue 16): the configured feed pulled by
`treasury market-data pull` and by the 18:00 job, the snapshot's source recorded, and a
revaluation that refuses (or flags) a missing or stale snapshot. The feed is a local server on
127.0.0.1 or an `httpx.MockTransport`; nothing reaches the internet."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from hedging.market_data import HttpSource
from hedging.service import jobs
from hedging.tables import MarketSnapshotRow
from tests.api.api_support import assert_problem
from tests.api.test_hedging_api import SNAPSHOT, exporter, forward_hedge, post_snapshot
from tests.support import TenantFixture
from treasury import cli
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import ValidationFailed
from treasury.scheduler import build_scheduler
from treasury.settings import Settings

Json = dict[str, Any]


def document_of(as_of: str, spot: str = "7.0850") -> Json:
    document = copy.deepcopy(SNAPSHOT)
    document["as_of"] = as_of
    document["spots"]["USDCNY"] = spot
    return document


@pytest.fixture
def feed() -> Iterator[tuple[str, dict[str, Json]]]:
    """A feed on 127.0.0.1 answering `GET /feed/<date>` from a dict (404 for other dates)."""
    documents: dict[str, Json] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = documents.get(self.path.removeprefix("/feed/"))
            body = json.dumps(found).encode() if found is not None else b"{}"
            self.send_response(200 if found is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed", documents
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def stored_snapshots(uow_factory: UnitOfWorkFactory, tenant_id: str) -> list[tuple[date, str]]:
    with uow_factory() as uow:
        query = select(MarketSnapshotRow.as_of, MarketSnapshotRow.source).where(
            MarketSnapshotRow.tenant_id == tenant_id
        )
        return [(row[0], row[1]) for row in uow.session.execute(query).all()]


def test_the_pull_command_stores_the_feeds_snapshot_with_its_source(
    monkeypatch: pytest.MonkeyPatch,
    uow_factory: UnitOfWorkFactory,
    tenant: TenantFixture,
    feed: tuple[str, dict[str, Json]],
) -> None:
    url, documents = feed
    documents["2026-11-25"] = document_of("2026-11-25")
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: uow_factory)
    monkeypatch.setenv("TREASURY_MARKET_DATA_URL", url)
    arguments = ["market-data", "pull", "--date", "2026-11-25", "--tenant", tenant.slug]

    first = CliRunner().invoke(cli.app, arguments)
    again = CliRunner().invoke(cli.app, arguments)
    missing = CliRunner().invoke(cli.app, [*arguments[:3], "2026-11-24", *arguments[4:]])

    assert first.exit_code == 0, first.output
    assert f"{tenant.slug}: 2026-11-25 stored" in first.output
    assert f"{tenant.slug}: 2026-11-25 present" in again.output
    assert isinstance(missing.exception, ValidationFailed)  # the feed has no 2026-11-24
    assert stored_snapshots(uow_factory, tenant.id) == [(date(2026, 11, 25), f"feed {url}")]


def test_a_feed_answering_another_date_or_garbage_stores_nothing(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    answers = {
        "/feed/2026-11-25": httpx.Response(200, json=document_of("2026-11-24")),
        "/feed/2026-11-26": httpx.Response(200, text="[1, 2]"),
    }
    source = HttpSource(
        "https://md.invalid/feed",
        transport=httpx.MockTransport(lambda request: answers[request.url.path]),
    )
    try:
        for day in (date(2026, 11, 25), date(2026, 11, 26)):
            with pytest.raises(ValidationFailed):
                jobs.pull_market_data(
                    uow_factory, source, source_name="md", as_of=day, tenant_slug=tenant.slug
                )
    finally:
        source.close()

    assert stored_snapshots(uow_factory, tenant.id) == []


def test_the_daily_job_pulls_todays_snapshot_before_the_revaluation(
    monkeypatch: pytest.MonkeyPatch,
    uow_factory: UnitOfWorkFactory,
    tenant: TenantFixture,
    feed: tuple[str, dict[str, Json]],
    settings: Settings,
) -> None:
    url, documents = feed
    documents["2026-11-26"] = document_of("2026-11-26")  # the test clock's Shanghai date
    monkeypatch.setattr(jobs, "all_tenants", lambda _factory: [(tenant.id, tenant.slug)])

    pulled = jobs.daily_market_data_pull(uow_factory, url=url)
    scheduler = build_scheduler(
        settings.model_copy(update={"market_data_url": url}),
        uow_factory,
        blocking=False,
        pools=False,
    )
    without = build_scheduler(settings, uow_factory, blocking=False, pools=False)

    assert [(item.slug, item.outcome) for item in pulled] == [(tenant.slug, "stored")]
    assert stored_snapshots(uow_factory, tenant.id) == [(date(2026, 11, 26), f"feed {url}")]
    job = scheduler.get_job("hedging.market_data")
    assert job is not None
    assert str(job.trigger.fields[5]) == "18"  # hour: before the 18:30 revaluation
    assert str(job.trigger.fields[6]) == "0"
    assert without.get_job("hedging.market_data") is None


def test_a_missing_or_stale_snapshot_is_refused_or_flagged(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    booked = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "100000.00"), headers=headers
    )
    assert booked.status_code == 201, booked.text
    revalue = {"as_of": "2026-11-26"}

    missing = client.post("/v1/hedges/revaluations", json=revalue, headers=headers)
    post_snapshot(client, headers, document_of("2026-11-20"))  # Friday; 4 business days old
    policy = client.patch(
        "/v1/settings", json={"market_data_staleness_policy": "refuse"}, headers=tenant.admin
    )
    assert policy.status_code == 200, policy.text
    stale = client.post("/v1/hedges/revaluations", json=revalue, headers=headers)

    assert_problem(missing, 422, "MARKET_DATA_MISSING")
    body = assert_problem(stale, 422, "MARKET_DATA_STALE")
    assert "2026-11-20" in body["detail"]
    client.patch(
        "/v1/settings", json={"market_data_staleness_policy": "flag"}, headers=tenant.admin
    )
    flagged = client.post("/v1/hedges/revaluations", json=revalue, headers=headers)
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["market_data"] == {
        "snapshot_as_of": "2026-11-20",
        "age_business_days": 4,
        "limit_business_days": 1,
        "stale": True,
        "policy": "flag",
    }
    events = client.get("/v1/audit-events?actor=revaluation", headers=tenant.auditor)
    assert events.status_code == 200, events.text
    actions = [item["action"] for item in events.json()["items"]]
    assert actions.count("hedging.market_data_stale") == 1


def test_yesterdays_snapshot_is_fresh(client: TestClient, tenant: TenantFixture) -> None:
    headers = tenant.treasurer
    client.patch(
        "/v1/settings", json={"market_data_staleness_policy": "refuse"}, headers=tenant.admin
    )
    post_snapshot(client, headers, document_of("2026-11-25"))

    run = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)

    assert run.status_code == 201, run.text
    assert run.json()["market_data"]["age_business_days"] == 1
    assert run.json()["market_data"]["stale"] is False
