"""Shared setup for the benchmarks (not run by `make bench`: the name starts with `_`).

Throwaway databases (a temp SQLite file, or a fresh database on the benchmark PostgreSQL), a
tenant with a treasurer, an entity with funded accounts, free ports and the machine's description.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from treasury.accounts import service as accounts_service
from treasury.accounts.model import AccountKind
from treasury.accounts.statements import StatementLine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import Principal, Role

POSTGRES_URL_VARIABLE = "TREASURY_BENCH_POSTGRES_URL"


def log(message: str) -> None:
    """Progress for humans, on stderr (stdout carries the one JSON line)."""
    print(message, file=sys.stderr, flush=True)


def machine() -> str:
    """`<nproc> cores, Python <version>, <platform>`."""
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def postgres_url() -> str | None:
    """The benchmark PostgreSQL's URL (set by `make bench`), or None."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_background_work(timeout: float = 30.0) -> None:
    """Join the app's timer threads (the audit sealer runs 0.5 s after a commit) before teardown.

    Otherwise a late seal would open a database that is being dropped or deleted.
    """
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(max(0.0, deadline - time.monotonic()))


def load_average() -> float:
    """The 1-minute load average (other work on the machine skews wall-clock figures)."""
    return round(os.getloadavg()[0], 2)


@contextmanager
def sqlite_database() -> Iterator[str]:
    """The URL of an SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="treasury-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def postgres_database(base_url: str, prefix: str) -> Iterator[str]:
    """A fresh database `<prefix>_<random>` on the server of `base_url`, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@dataclass(frozen=True)
class Ledger:
    """A tenant's treasurer and the funded accounts of one onshore entity."""

    tenant_id: str
    principal: Principal
    account_ids: tuple[str, ...]


def make_ledger(
    uow_factory: UnitOfWorkFactory,
    *,
    accounts: int,
    funding: Money,
    funded_on: date,
) -> Ledger:
    """A fresh tenant and treasurer, one CN entity, `accounts` CNY current accounts, each funded."""
    slug = f"bench-{uuid.uuid4().hex[:10]}"
    tenant, _ = tenancy_service.create_tenant(uow_factory(), slug=slug, name=slug)
    issued = tenancy_service.create_token(
        uow_factory(), tenant_slug=slug, role=Role.TREASURER, name="bench"
    )
    principal = tenancy_service.authenticate(uow_factory(), issued.secret)
    entity = accounts_service.create_entity(
        uow_factory(),
        tenant_id=tenant.id,
        fields={"code": "BENCH", "name": "Bench Manufacturing Co.", "country": "CN"},
        actor="bench",
    )
    account_ids = []
    for number in range(accounts):
        account = accounts_service.open_bank_account(
            uow_factory(),
            tenant_id=tenant.id,
            entity_id=entity.id,
            kind=AccountKind.CURRENT,
            currency=funding.currency.code,
            bank_bic="BKCHCNBJ",
            number=f"BENCH{number:04d}",
            overdraft_limit=None,
            actor="bench",
        )
        accounts_service.import_statement_lines(
            uow_factory(),
            tenant_id=tenant.id,
            account_id=account.id,
            lines=[
                StatementLine(
                    bank_ref=f"open-{number}",
                    value_date=funded_on,
                    amount=funding,
                    description="opening balance",
                )
            ],
        )
        account_ids.append(account.id)
    return Ledger(tenant_id=tenant.id, principal=principal, account_ids=tuple(account_ids))


def treasury_executable() -> str:
    """The `treasury` console script of this virtualenv (next to the running interpreter)."""
    return str(Path(sys.executable).parent / "treasury")


def server_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `treasury` subprocess on `database_url`, scheduler off."""
    return {
        **os.environ,
        "TREASURY_DATABASE_URL": database_url,
        "TREASURY_SCHEDULER": "off",
        **extra,
    }


def run_cli(args: list[str], env: Mapping[str, str], timeout: float = 120.0) -> str:
    """Run `treasury ARGS`; its stdout (the CLI prints its result last). Raises on failure."""
    done = subprocess.run(
        [treasury_executable(), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"treasury {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


def last_line(output: str) -> str:
    """The last non-empty line of a command's output (where the CLI prints a token)."""
    return [line for line in output.splitlines() if line.strip()][-1].strip()


@contextmanager
def served(
    env: Mapping[str, str], *, workers: int, log_path: Path, startup_seconds: float = 90.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`treasury serve --workers N` on a free 127.0.0.1 port: (base URL, process) once /healthz
    answers; always terminated (then killed if it lingers) on the way out."""
    port = free_port()
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                treasury_executable(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=dict(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_healthy(base_url, process, startup_seconds, log_path)
            yield base_url, process
        finally:
            stop(process)


def _wait_healthy(
    base_url: str, process: subprocess.Popen[bytes], seconds: float, log_path: Path
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}: {tail(log_path)}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy within {seconds:.0f} s: {tail(log_path)}")


def stop(process: subprocess.Popen[bytes], grace_seconds: float = 20.0) -> None:
    """Terminate the server (SIGTERM; uvicorn stops its workers), kill its group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace_seconds)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    # Workers orphaned by a supervisor that died first are in the same (new) session and group.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def process_tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU of a process and all its descendants, from /proc (0.0 elsewhere)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, ... utime is field 14 and stime 15 of stat(5).
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0.0) for pid in tree)
