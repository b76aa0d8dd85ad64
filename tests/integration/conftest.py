"""Fixtures of the integration tests: a tenant's books driven through the service layer.

Tests marked `postgres_only` are skipped on the SQLite half of the `database_url` parameter, before
any fixture runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.builders import TenantBuilder
from tests.support import TenantFixture
from treasury.db.unit_of_work import UnitOfWorkFactory

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip this directory's `postgres_only` tests on SQLite."""
    for item in items:
        if not item.path.is_relative_to(HERE) or item.get_closest_marker("postgres_only") is None:
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "sqlite":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (row locks, concurrency)"))


@pytest.fixture
def books(uow_factory: UnitOfWorkFactory, tenant: TenantFixture) -> TenantBuilder:
    """The fresh tenant's books, acting as its treasurer."""
    return TenantBuilder.of(uow_factory, tenant)


@pytest.fixture
def sqlite_only(dialect: str) -> None:
    """Skip the PostgreSQL half of a test (name it before other fixtures to skip early)."""
    if dialect != "sqlite":
        pytest.skip("the SQLite variant")
