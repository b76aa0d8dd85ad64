"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TREASURY_TEST_POSTGRES_URL (a throwaway cluster started by `make test`).
Without it the PostgreSQL half is skipped locally and fails under CI=true. Each test gets a fresh
tenant, so tests never see each other's data and need no cleanup.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pooling import payment_extensions as pool_payment_extensions
from tests.support import TenantFixture, dispose_app, make_tenant
from treasury.api.app import create_app
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import trap_float_operations
from treasury.settings import Settings

trap_float_operations()

POSTGRES_URL_VARIABLE = "TREASURY_TEST_POSTGRES_URL"
# 10:00 in Shanghai on Thursday 2026-11-26: "today" for every test unless it moves the clock.
TEST_NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def postgres_url() -> str | None:
    """The throwaway PostgreSQL's URL, failing under CI when it is missing."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_URL_VARIABLE} is not set under CI=true: PostgreSQL did not start")
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database of each kind, once per session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'treasury.db'}"
    else:
        found = postgres_url()
        if found is None:
            pytest.skip(f"{POSTGRES_URL_VARIABLE} not set")
        url = found
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """One engine per database kind."""
    built = build_engine(database_url, pool_size=20)
    yield built
    built.dispose()


@pytest.fixture
def dialect(engine: Engine) -> str:
    """'sqlite' or 'postgresql'."""
    return engine.dialect.name


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at TEST_NOW; tests may move it."""
    return FixedClock(TEST_NOW)


@pytest.fixture
def uow_factory(engine: Engine, clock: FixedClock) -> UnitOfWorkFactory:
    """Units of work on the test database, on the test clock."""
    return UnitOfWorkFactory(engine, clock, extensions=(pool_payment_extensions.EXTENSIONS,))


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for the test database (scheduler off)."""
    return Settings(
        database_url=database_url,
        scheduler="off",
        idempotency_wait_seconds=5,
        audit_seal_delay_seconds=0.05,
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[FastAPI]:
    """The API on the test database and clock (audit sealing soon after each commit)."""
    application = create_app(settings, clock=clock)
    yield application
    dispose_app(application)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A test client that returns 500s instead of raising them."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def tenant(uow_factory: UnitOfWorkFactory) -> TenantFixture:
    """A fresh tenant with a token of every role."""
    return make_tenant(uow_factory, f"t-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def other_tenant(uow_factory: UnitOfWorkFactory) -> TenantFixture:
    """A second tenant, to prove isolation."""
    return make_tenant(uow_factory, f"o-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def operator_headers(uow_factory: UnitOfWorkFactory) -> dict[str, str]:
    """Headers of an operator token."""
    from treasury.tenancy import service
    from treasury.tenancy.model import Role

    issued = service.create_token(uow_factory(), tenant_slug=None, role=Role.OPERATOR, name="op")
    return {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The repository root."""
    return Path(__file__).resolve().parent.parent
