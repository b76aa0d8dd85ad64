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
PACKAGES = ("treasury", "compliance", "pooling", "hedging", "positions")


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


def test_the_treasury_core_never_imports_the_capabilities_above_it() -> None:
    """treasury/* (but the shells and the migrations' metadata) sits below pooling, hedging and
    the group view: they import it, never the other way round."""
    above = ("pooling", "hedging", "positions")
    exempt = ("treasury/api/", "treasury/cli.py", "treasury/scheduler.py", "treasury/migrations/")
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "treasury").rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith(exempt)
        and any(_top(name) in above for name in imported_modules(path))
    ]
    assert offenders == []


def package_of(module: str) -> str:
    """The package owning `module`: treasury.<pkg>, or pooling, hedging, compliance, positions."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "treasury" and len(parts) > 2 else parts[0]


def tables_imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.endswith(".tables"))
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            if node.module.endswith(".tables"):
                found.add(node.module)
            found.update(f"{node.module}.tables" for a in node.names if a.name == "tables")
    return found


# Queries on another package's tables still to move into that package's repository (#15 item 2).
# The list only shrinks: a module taking another package's tables not named here fails the test.
KNOWN_CROSSINGS: dict[str, set[str]] = {}


# Crossings kept on purpose, each with its reason; not a place for new ones.
DELIBERATE_CROSSINGS = {
    # A bank account's value carries its overdraft limit, kept on the ledger account of the same
    # id (the posting path checks it there). Every transfer reads its accounts: one select joining
    # the ledger account, built once, costs 1.1-1.7 ms less than building it per call (44cf4ca),
    # and a second query per read would put a round trip on the transfer's hot path. Read-only.
    "treasury/accounts/repository.py": {"treasury.ledger"},
}


def test_no_package_reads_another_package_s_tables() -> None:
    """Each package's tables are read and written by that package's modules (its repository);
    others ask its repository. `treasury.db` is the shared base; migrations are exempt."""
    crossings: dict[str, set[str]] = {}
    for path in python_files():
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts:
            continue
        own = package_of(".".join(relative.with_suffix("").parts))
        foreign = {
            package_of(module)
            for module in tables_imported(path)
            if package_of(module) not in {own, "treasury.db"}
        }
        if foreign:
            crossings[str(relative)] = foreign
    allowed = {
        path: KNOWN_CROSSINGS.get(path, set()) | DELIBERATE_CROSSINGS.get(path, set())
        for path in crossings
    }
    new = {
        path: owners - allowed[path] for path, owners in crossings.items() if owners - allowed[path]
    }
    assert new == {}, "query through the owning package's repository instead"


def opens_a_unit_of_work(path: Path) -> bool:
    """Does the module open a unit of work: `with uow:` (a use case handed one) or
    `with uow_factory() as uow:` (a job body making its own)?"""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.With):
            for item in node.items:
                target = item.context_expr
                if isinstance(target, ast.Call):
                    target = target.func
                if isinstance(target, ast.Name) and target.id in {"uow", "uow_factory"}:
                    return True
    return False


def in_a_service(relative: Path) -> bool:
    return relative.name == "service.py" or "service" in relative.parts[:-1]


def test_use_cases_live_in_service_modules() -> None:
    """A use case (a function opening a unit of work) lives in its package's `service.py`, or in
    a `service/` folder split by concept; the shells (api, cli, scheduler) open their own."""
    shells = ("treasury/api/", "treasury/cli.py", "treasury/scheduler.py", "treasury/migrations/")
    outside = {
        str(relative)
        for relative in (path.relative_to(ROOT) for path in python_files())
        if not str(relative).startswith(shells)
        and not in_a_service(relative)
        and opens_a_unit_of_work(ROOT / relative)
    }
    assert outside == set(), "put the use case in its package's service module or folder"
