"""End-to-end fixtures: `treasury serve` as a subprocess and the `treasury` CLI beside it.

The server runs once per module and database kind: on a temp SQLite file, and on a fresh
PostgreSQL database (created on the throwaway server, dropped afterwards) when one is configured.
It always listens on 127.0.0.1 on a free port, with the scheduler off, and is always terminated.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import postgres_url

STARTUP_SECONDS = 45.0
CLI_SECONDS = 60.0


@dataclass(frozen=True)
class Server:
    """A running `treasury serve` and the environment its CLI calls share."""

    base_url: str
    env: dict[str, str]
    log_path: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `treasury ARGS` against the server's database; fails the test on a non-zero exit."""
        done = run_treasury(list(args), self.env)
        assert done.returncode == 0, f"treasury {' '.join(args)}: {done.stderr}"
        return done

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output (for failure messages)."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def treasury_executable() -> str:
    """The virtualenv's `treasury` console script, next to the running interpreter."""
    path = Path(sys.executable).parent / "treasury"
    if not path.exists():
        pytest.fail(f"console script {path} is missing: is the project installed in this venv?")
    return str(path)


def run_treasury(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`treasury ARGS` with `env`, output captured."""
    return subprocess.run(
        [treasury_executable(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
        check=False,
    )


def last_line(output: str) -> str:
    """The last non-empty line (where the CLI prints a token or an id)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    assert lines, "the command printed nothing on stdout"
    return lines[-1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database for the server: a temp SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'treasury.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip("TREASURY_TEST_POSTGRES_URL not set")
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(base).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def server(served_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`treasury serve` on the database, healthy; terminated (killed if need be) afterwards."""
    env = {
        **os.environ,
        "TREASURY_DATABASE_URL": served_database,
        "TREASURY_SCHEDULER": "off",
        "TREASURY_LOG_LEVEL": "warning",
    }
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [treasury_executable(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            running = Server(f"http://127.0.0.1:{port}", env, log_path)
            _wait_healthy(running, process)
            yield running
        finally:
            _stop(process)


def _wait_healthy(running: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"treasury serve exited {process.returncode}:\n{running.log_tail()}")
        with suppress(httpx.TransportError):
            if httpx.get(f"{running.base_url}/healthz", timeout=2.0).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"treasury serve not healthy within {STARTUP_SECONDS:.0f} s:\n{running.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    with suppress(ProcessLookupError, PermissionError):  # anything it left in its own group
        os.killpg(process.pid, signal.SIGKILL)


@dataclass(frozen=True)
class CliTenant:
    """A tenant made by `treasury tenant create`, and a treasurer token made by the CLI."""

    slug: str
    id: str
    treasurer: dict[str, str]


@dataclass(frozen=True)
class CliTokens:
    """What the CLI made for the module: a tenant with a treasurer, and an operator."""

    tenant: CliTenant
    operator: dict[str, str]


@pytest.fixture(scope="module")
def cli_tokens(server: Server) -> CliTokens:
    """A tenant, its treasurer's token and an operator token, from the CLI (two at a time)."""
    slug = f"e2e-{uuid.uuid4().hex[:8]}"

    def tenant_and_treasurer() -> CliTenant:
        tenant_id = last_line(server.cli("tenant", "create", slug, "--name", "E2E group").stdout)
        token = last_line(
            server.cli(
                "token", "create", "--tenant", slug, "--role", "treasurer", "--name", "e2e"
            ).stdout
        )
        return CliTenant(slug, tenant_id, {"Authorization": f"Bearer {token}"})

    with ThreadPoolExecutor(max_workers=2) as pool:
        tenant = pool.submit(tenant_and_treasurer)
        operator = pool.submit(server.cli, "token", "create", "--operator", "--name", "op")
        return CliTokens(
            tenant=tenant.result(),
            operator={"Authorization": f"Bearer {last_line(operator.result().stdout)}"},
        )


@pytest.fixture
def cli_tenant(cli_tokens: CliTokens) -> CliTenant:
    """A tenant and its treasurer's bearer header, both from the CLI."""
    return cli_tokens.tenant


@pytest.fixture
def operator(cli_tokens: CliTokens) -> dict[str, str]:
    """The bearer header of an operator token from the CLI."""
    return cli_tokens.operator


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client on the live server."""
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        yield client
