"""`treasury refdata load FILE` loads BOP code tables too (DESIGN §4.1), as new versions.

BOP tables are system-wide and the PostgreSQL test database is shared, so each table here is in
force from a random far-future day: no transfer of the test clock's 2026 is screened against it.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treasury import cli
from treasury.cli import app
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import ValidationFailed
from treasury.refdata import service


@pytest.fixture(autouse=True)
def _audit_sealer_done_first(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let the audit sealer's timers finish before the engines they use are disposed."""
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


@pytest.fixture
def day() -> date:
    """A day nobody else loads a BOP table on."""
    return date(2200, 1, 1) + timedelta(days=random.SystemRandom().randrange(2_000_000))


def write(tmp_path: Path, document: dict[str, object]) -> Path:
    """A reference file."""
    path = tmp_path / "bop.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_cli_loads_a_bop_code_table(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    uow_factory: UnitOfWorkFactory,
    day: date,
) -> None:
    version = f"test-{uuid.uuid4().hex[:16]}"
    path = write(
        tmp_path,
        {
            "bop_codes": {
                "version": version,
                "effective_from": day.isoformat(),
                "source": "SAFE 涉外收支交易分类与代码 (test)",
                "codes": [
                    {"code": "121010", "name_zh": "一般贸易", "directions": "both"},
                    {"code": "228010", "name_en": "services", "directions": "payment"},
                ],
            }
        },
    )
    monkeypatch.setenv("TREASURY_DATABASE_URL", database_url)
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: uow_factory)

    result = CliRunner().invoke(app, ["refdata", "load", str(path)])

    assert result.exit_code == 0, result.output
    assert f"loaded BOP code table {version}: 2 codes" in result.output
    found, codes = service.bop_codes_on(uow_factory(), day)
    assert found == version
    assert [(code.code, code.directions) for code in codes] == [
        ("121010", "both"),
        ("228010", "payment"),
    ]


@pytest.mark.parametrize(
    "codes",
    [[{"code": "12101"}], [{"code": "121010", "directions": "out"}], [], [{"code": "121010"}] * 2],
)
def test_a_bad_bop_table_is_refused(tmp_path: Path, day: date, codes: list[object]) -> None:
    table = {"version": "v-bad", "effective_from": day.isoformat(), "codes": codes}
    with pytest.raises(ValidationFailed):
        service.read_bop_tables(write(tmp_path, {"bop_codes": table}))
