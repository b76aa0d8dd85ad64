"""`treasury refdata load FILE` with participants, rails and calendar years: all or nothing."""

from __future__ import annotations

import json
import random
import string
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treasury import cli
from treasury.cli import app
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import ValidationFailed
from treasury.settlement.service import reference_data as reference_service


@pytest.fixture(autouse=True)
def _audit_sealer_done_first(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let the audit sealer's pending timers finish before the engines they use are disposed.

    The sealer runs shortly after a commit on the engine that committed; firing after that engine
    was disposed, it would open a connection nobody closes (a ResourceWarning, an error under
    `filterwarnings = error`, in whichever test happens to run then).
    """
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


def random_bic() -> str:
    """A BIC of the unassigned country ZZ that no other test uses."""
    return "".join(random.SystemRandom().choice(string.ascii_uppercase) for _ in range(4)) + "ZZ22"


def write(tmp_path: Path, document: dict[str, object]) -> Path:
    """A reference file."""
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_cli_loads_participants_as_new_versions(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    uow_factory: UnitOfWorkFactory,
) -> None:
    bic = random_bic()
    path = write(
        tmp_path,
        {
            "effective_from": "2026-11-01",
            "source_document": "SWIFTRef CIPS directory, November 2026 (test)",
            "participants": [
                {"bic": bic, "name": "Test Bank", "country": "ZZ", "cips_status": "NONE"}
            ],
        },
    )
    monkeypatch.setenv("TREASURY_DATABASE_URL", database_url)
    # The test's engine, disposed by its fixture (the CLI's own would leak its connections).
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: uow_factory)

    result = CliRunner().invoke(app, ["refdata", "load", str(path)])

    assert result.exit_code == 0, result.output
    assert "1 participants" in result.output
    stored = [v for v in reference_service.participants(uow_factory()) if v.key == bic]
    assert [(v.version, v.source) for v in stored] == [
        (1, "SWIFTRef CIPS directory, November 2026 (test)")
    ]


def test_a_file_with_one_bad_rail_loads_nothing(
    tmp_path: Path, uow_factory: UnitOfWorkFactory
) -> None:
    bic = random_bic()
    path = write(
        tmp_path,
        {
            "effective_from": "2026-11-01",
            "participants": [
                {"bic": bic, "name": "Test Bank", "country": "ZZ", "cips_status": "NONE"}
            ],
            "rails": [{"id": "BROKEN", "type": "CIPS"}],
        },
    )

    with pytest.raises(ValidationFailed):
        reference_service.load_file(uow_factory(), path)

    assert not [v for v in reference_service.participants(uow_factory()) if v.key == bic]
