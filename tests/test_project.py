"""The project's own promises: the README's error catalogue and the import rules of the layers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import treasury.settlement.routing  # noqa: F401 - every error class is defined on import
from treasury.errors import catalogue

ROOT = Path(__file__).resolve().parent.parent
HTTP_ONLY_CODES = {"METHOD_NOT_ALLOWED", "INTERNAL_ERROR"}
PACKAGES = ("treasury", "compliance", "pooling", "hedging")


def readme_codes() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Error catalogue", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))


def test_readme_catalogue_lists_every_error_code() -> None:
    assert set(catalogue()) <= readme_codes()


def test_readme_catalogue_lists_no_unknown_code() -> None:
    assert readme_codes() - set(catalogue()) == HTTP_ONLY_CODES


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


def python_files() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def _top(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize(
    ("framework", "home"),
    [
        ("fastapi", "treasury/api/"),
        ("starlette", "treasury/api/"),
        ("apscheduler", "treasury/scheduler.py"),
        ("QuantLib", "hedging/pricing/"),
        ("typer", "treasury/cli.py"),
    ],
)
def test_each_framework_has_one_home(framework: str, home: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files()
        if framework in {_top(name) for name in imported_modules(path)}
        and not str(path.relative_to(ROOT)).startswith(home)
    ]
    if framework == "QuantLib":
        offenders = [path for path in offenders if path != "treasury/calendars.py"]
    assert offenders == []


def test_domain_models_import_no_framework() -> None:
    banned = {"sqlalchemy", "pydantic", "fastapi", "httpx", "starlette", "alembic"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(banned & {_top(n) for n in imported_modules(path)})
        for path in python_files()
        if path.name in {"model.py", "rules.py", "money.py"}
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_lower_layers_do_not_import_the_shells() -> None:
    shells = ("treasury.api", "treasury.cli", "treasury.scheduler")
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files()
        if not str(path.relative_to(ROOT)).startswith(("treasury/api/", "treasury/cli.py"))
        and path.name != "scheduler.py"
        and any(name.startswith(shells) for name in imported_modules(path))
    ]
    assert offenders == []


def test_compliance_never_imports_capabilities_above_it() -> None:
    above = ("treasury.payments", "pooling", "hedging")
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "compliance").rglob("*.py"))
        if any(name.startswith(above) for name in imported_modules(path))
    ]
    assert offenders == []
