"""Every seeded parameter is read somewhere (issue 12 item 11): a regulatory number seeded by a
migration and read by no code is a rule someone thinks is enforced and is not. A parameter that
no code should read is retired by a migration (`retired` in a seed file), not left behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "treasury" / "refdata" / "seed"
CODE = ("treasury", "pooling", "compliance", "hedging", "positions")


def seeded_names() -> set[str]:
    """The names of the parameters the migrations seed, less those a migration retired."""
    migrations = "".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "treasury" / "migrations").rglob("*.py")
    )
    files = sorted(set(re.findall(r"parameters[a-z_]*\.json", migrations)))
    names: set[str] = set()
    retired: set[str] = set()
    for name in files:
        seed = json.loads((SEED / name).read_text(encoding="utf-8"))
        names |= {item["name"] for item in seed["parameters"]}
        retired |= {item["name"] for item in seed.get("retired", [])}
    return names - retired


def source_text() -> str:
    """The service's code, migrations aside (they seed; they do not read)."""
    return "\n".join(
        path.read_text(encoding="utf-8")
        for package in CODE
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_the_seeds_are_found() -> None:
    names = seeded_names()
    assert {"cbf.mu", "pool251.ol_coeff", "facil.kinds"} <= names
    assert "fx_risk_reserve.ratio" not in names  # retired: a duplicate


def test_every_seeded_parameter_is_read_by_some_code() -> None:
    code = source_text()
    unread = sorted(
        name for name in seeded_names() if f'"{name}' not in code and f"'{name}" not in code
    )
    assert unread == []
