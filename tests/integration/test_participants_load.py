"""`treasury refdata load FILE` with participants, rails and calendar years: all or nothing."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treasury.cli import app
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import ValidationFailed
from treasury.settlement import reference_service


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
