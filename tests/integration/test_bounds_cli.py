"""Issue #11 §2 on the command line: `treasury refdata load` and `treasury market-data import`
refuse the absurd numbers the API refuses (files skip the wire's checks). SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hedging.service import markets as hedging_service
from tests.api.test_hedging_api import SNAPSHOT
from tests.support import TenantFixture
from treasury import cli
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import ValidationFailed
from treasury.refdata import service as refdata_service

ABSURD = ["1E+30", "1E+400", "1234567890123456789012345678901234567890", "1E-40", "0E+3"]


@pytest.fixture(autouse=True)
def _cli_on_the_test_database(
    monkeypatch: pytest.MonkeyPatch, uow_factory: UnitOfWorkFactory
) -> Iterator[None]:
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: uow_factory)
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


@pytest.mark.parametrize("rate", ABSURD)
def test_refdata_load_refuses_an_absurd_reference_rate(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, rate: str
) -> None:
    path = tmp_path / "rates.json"
    rates = [{"pair": "USDIRR", "date": "1999-01-04", "rate": rate}]
    path.write_text(json.dumps({"reference_rates": rates}), encoding="utf-8")

    result = CliRunner().invoke(cli.app, ["refdata", "load", str(path)])

    assert isinstance(result.exception, ValidationFailed), result.output
    stored = refdata_service.reference_rates(
        uow_factory(), pair="USDIRR", date_from=date(1999, 1, 4), date_to=date(1999, 1, 4)
    )
    assert stored == []


@pytest.mark.parametrize(
    ("section", "field"),
    [("swap_points", "points"), ("vols", "rr25"), ("vols", "atm"), ("curves", "rate")],
)
def test_market_data_import_refuses_an_absurd_quote(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, tenant: TenantFixture, section: str, field: str
) -> None:
    document = copy.deepcopy(SNAPSHOT)
    key = "USD" if section == "curves" else "USDCNY"
    document[section][key][0][field] = "1E+30"
    path = tmp_path / "market.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    result = CliRunner().invoke(
        cli.app, ["market-data", "import", str(path), "--tenant", tenant.slug]
    )

    assert isinstance(result.exception, ValidationFailed), result.output
    assert hedging_service.snapshot_dates(uow_factory(), tenant_id=tenant.id) == []
