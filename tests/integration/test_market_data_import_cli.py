"""`treasury market-data import FILE` (DESIGN §4.3): the tenant may go unnamed when there is one."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treasury import cli
from treasury.cli import app
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import ValidationFailed
from treasury.tenancy import service as tenancy_service

SNAPSHOT = {
    "as_of": "2026-11-20",
    "spots": {"USDCNY": "7.0850"},
    "curves": {
        "USD": [{"tenor": "1M", "rate": "0.0410"}, {"tenor": "1Y", "rate": "0.0400"}],
        "CNY": [{"tenor": "1M", "rate": "0.0150"}, {"tenor": "1Y", "rate": "0.0145"}],
    },
}


@pytest.fixture(autouse=True)
def _audit_sealer_done_first(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let the audit sealer's timers finish before the engines they use are disposed."""
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


@pytest.fixture
def one_tenant_db(tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    """A fresh database holding one tenant."""
    url = f"sqlite:///{tmp_path / 'one.db'}"
    migrate.upgrade(url)
    engine = build_engine(url, pool_size=2)
    factory = UnitOfWorkFactory(engine, FixedClock(datetime(2026, 11, 26, 2, tzinfo=UTC)))
    tenancy_service.create_tenant(factory(), slug="only", name="Only")
    yield factory
    engine.dispose()


def snapshot_file(tmp_path: Path) -> Path:
    """A market-data file of one snapshot."""
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(SNAPSHOT), encoding="utf-8")
    return path


def test_the_only_tenant_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_tenant_db: UnitOfWorkFactory
) -> None:
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: one_tenant_db)

    result = CliRunner().invoke(app, ["market-data", "import", str(snapshot_file(tmp_path))])

    assert result.exit_code == 0, result.output
    assert "loaded 1 snapshots: 2026-11-20" in result.output


def test_several_tenants_need_one_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uow_factory: UnitOfWorkFactory
) -> None:
    for slug in ("md-a", "md-b"):  # the shared test database holds many tenants anyway
        tenancy_service.create_tenant(uow_factory(), slug=slug, name=slug)
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: uow_factory)

    result = CliRunner().invoke(app, ["market-data", "import", str(snapshot_file(tmp_path))])

    assert isinstance(result.exception, ValidationFailed)  # `treasury` prints it as an error
    assert "--tenant" in str(result.exception)
