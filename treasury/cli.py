"""The `treasury` command: serve, migrate, scheduler, tenants, tokens, reference data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import uvicorn
from rich import progress as rich_progress
from rich.console import Console
from rich.progress import Progress

from hedging.market_data import HttpSource
from hedging.service import jobs as hedging_jobs
from pooling import payment_extensions as pool_payment_extensions
from pooling.service import jobs as pooling_jobs
from pooling.service import sweeps as pool_sweeps
from treasury.api.routes import payment_runs as payment_runs_api
from treasury.audit import service as audit_service
from treasury.audit.anchors import AnchorStore
from treasury.audit.model import ChainHead
from treasury.audit.sealer import AuditSealer
from treasury.audit.service import AuditReport
from treasury.calendars import default_calendars
from treasury.clock import SystemClock, today
from treasury.db import migrate as migrations
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import TreasuryError
from treasury.ledger import service as ledger_service
from treasury.ledger.service import LedgerVerification
from treasury.money import trap_float_operations
from treasury.payments.service import payment_runs
from treasury.payments.service import transfers as payment_service
from treasury.refdata import service as refdata_service
from treasury.scheduler import build_scheduler
from treasury.settings import Settings
from treasury.settlement.service import reference_data as settlement_reference
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import TENANT_ROLES, Role

app = typer.Typer(help="Cross-border treasury service.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (customer groups).", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens.", no_args_is_help=True)
refdata_app = typer.Typer(help="System-wide reference data.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit chain.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(token_app, name="token")
app.add_typer(refdata_app, name="refdata")
app.add_typer(audit_app, name="audit")
market_data_app = typer.Typer(help="FX market-data snapshots.", no_args_is_help=True)
app.add_typer(market_data_app, name="market-data")
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")

err = Console(stderr=True)


def _uow_factory(settings: Settings) -> UnitOfWorkFactory:
    factory = UnitOfWorkFactory(
        build_engine(settings.database_url, pool_size=2),
        SystemClock(),
        extensions=(pool_payment_extensions.EXTENSIONS,),  # the scheduler's too
    )
    AuditSealer(factory, delay_seconds=settings.audit_seal_delay_seconds)
    return factory


@app.command()
def migrate() -> None:
    """Migrate the database to the latest schema."""
    settings = Settings()
    migrations.upgrade(settings.database_url)
    err.print(f"migrated {settings.database_url}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
) -> None:
    """Migrate, then serve the API (and run the scheduler unless TREASURY_SCHEDULER=off)."""
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper())
    migrations.upgrade(settings.database_url)
    if workers > 1 and settings.session_secret is None:
        # The review page's sessions must verify in every worker: one key for all of them, made
        # here and inherited through the environment (it lasts as long as this server).
        os.environ["TREASURY_SESSION_SECRET"] = secrets.token_urlsafe(32)
    scheduler = None
    if settings.scheduler == "on":
        scheduler = build_scheduler(settings, _uow_factory(settings), blocking=False)
        scheduler.start()
    try:
        uvicorn.run(
            "treasury.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level,
        )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@app.command()
def scheduler() -> None:
    """Run the job scheduler alone (for deployments with several API processes)."""
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper())
    migrations.upgrade(settings.database_url)
    blocking = build_scheduler(settings, _uow_factory(settings), blocking=True)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        blocking.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    err.print(f"scheduler running in {settings.timezone}; jobs: {len(blocking.get_jobs())}")
    blocking.start()


@tenant_app.command("create")
def tenant_create(
    slug: str, name: Annotated[str | None, typer.Option(help="display name")] = None
) -> None:
    """Create a tenant (idempotent: an existing slug is left as it is)."""
    settings = Settings()
    tenant, created = tenancy_service.create_tenant(_uow_factory(settings)(), slug=slug, name=name)
    err.print(f"tenant {tenant.slug} {'created' if created else 'exists'}")
    typer.echo(tenant.id)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="who or what uses the token")],
    tenant: Annotated[str | None, typer.Option(help="tenant slug")] = None,
    role: Annotated[
        str | None, typer.Option(help="admin, treasurer, compliance_officer, auditor")
    ] = None,
    operator: Annotated[
        bool, typer.Option("--operator", help="system-wide reference data")
    ] = False,
) -> None:
    """Make a bearer token; the token is the last line of stdout."""
    if operator == (role is not None):
        raise typer.BadParameter("give either --role (with --tenant) or --operator")
    chosen = Role.OPERATOR if operator or role is None else Role(role)
    if chosen is not Role.OPERATOR and chosen not in TENANT_ROLES:
        raise typer.BadParameter(f"unknown role {role}")
    issued = tenancy_service.create_token(
        _uow_factory(Settings())(), tenant_slug=tenant, role=chosen, name=name
    )
    err.print(f"token {issued.id} ({issued.role.value}) for {tenant or 'the operator'}")
    typer.echo(issued.secret)


@refdata_app.command("load")
def refdata_load(path: Path) -> None:
    """Load reference data (parameters, rates; participants, rails, calendars; BOP code tables)
    as new versions."""
    parameters, rates = refdata_service.read_file(path)
    bop_tables = refdata_service.read_bop_tables(path)  # checked before anything is written
    result = refdata_service.load(_uow_factory(Settings())(), parameters=parameters, rates=rates)
    typer.echo(
        f"loaded {result.parameters} parameters and {result.reference_rates} reference rates"
    )
    if settlement_reference.has_routing_data(path):
        counts = settlement_reference.load_file(_uow_factory(Settings())(), path)
        typer.echo(", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in counts.items()))
    for table in bop_tables:
        count = refdata_service.add_bop_table(
            _uow_factory(Settings())(),
            version=table.version,
            effective_from=table.effective_from,
            source=table.source,
            rows=table.rows,
        )
        typer.echo(f"loaded BOP code table {table.version}: {count} codes")


@audit_app.command("anchor")
def audit_anchor(
    save: Annotated[
        bool, typer.Option("--save", help="also keep it in a file in TREASURY_AUDIT_ANCHOR_DIR")
    ] = False,
) -> None:
    """Seal pending events and print the chain head (COUNT:HASH) to keep outside the database."""
    settings = Settings()
    if not save:
        typer.echo(str(audit_service.anchor(_uow_factory(settings)())))
        return
    kept = audit_service.keep_anchor(_uow_factory(settings)(), _anchor_store(settings))
    err.print(f"kept in {kept.path}", markup=False, soft_wrap=True)
    typer.echo(str(kept.head))


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        str | None,
        typer.Option(help="COUNT:HASH from `treasury audit anchor` (default: the latest kept)"),
    ] = None,
) -> None:
    """Check every event of the chain, every event outside it and the ledger; writes nothing.
    Exit 1 naming the first broken event, each event not sealed by the application and the
    first disagreeing account or entry."""
    settings = Settings()
    factory = _uow_factory(settings)
    head = _anchor_head(anchor, settings)
    grace = dt.timedelta(seconds=settings.audit_seal_grace_seconds)
    report = audit_service.verify(factory.read_only(), head, grace=grace)
    chain_ok = _report(report, report.pending_note(grace))
    if not (_report(ledger_service.verify_ledger(factory.read_only())) and chain_ok):
        raise typer.Exit(1)


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Check every running balance and day movement against the postings, and every journal
    entry and its postings against the audit chain; exit 1 naming the first disagreement."""
    if not _report(ledger_service.verify_ledger(_uow_factory(Settings()).read_only())):
        raise typer.Exit(1)


def _anchor_store(settings: Settings) -> AnchorStore:
    return AnchorStore.for_url(settings.audit_anchor_dir, settings.database_url)


def _anchor_head(given: str | None, settings: Settings) -> ChainHead | None:
    if given is not None:
        try:
            return ChainHead.parse(given)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--anchor") from error
    kept = _anchor_store(settings).latest()
    if kept is None:
        err.print(
            f"no anchor of this database in {settings.audit_anchor_dir}: the newest events' "
            "removal or rewrite cannot be told",
            markup=False,
            soft_wrap=True,
        )
        return None
    typer.echo(f"anchor {kept.path}: {kept.head} (kept {kept.anchored_at.isoformat()})")
    return kept.head


def _report(outcome: AuditReport | LedgerVerification, note: str | None = None) -> bool:
    """Print what a verification found: its summary on stdout, problems in red on stderr."""
    if (summary := outcome.summary()) is not None:
        typer.echo(summary)
    for line in outcome.problems():
        err.print(line, style="red", markup=False, soft_wrap=True)
    if note is not None:
        err.print(note, markup=False, soft_wrap=True)
    return outcome.ok


@market_data_app.command("import")
def market_data_import(
    path: Path,
    tenant: Annotated[
        str | None, typer.Option(help="tenant slug (default: the only tenant, if there is one)")
    ] = None,
) -> None:
    """Load market-data snapshots (JSON or CSV) for a tenant; one snapshot per date."""
    uow_factory = _uow_factory(Settings())
    slug = tenant if tenant is not None else tenancy_service.sole_tenant_slug(uow_factory())
    stored = hedging_jobs.import_market_data(uow_factory, tenant_slug=slug, path=path)
    typer.echo(f"loaded {len(stored)} snapshots: {', '.join(d.isoformat() for d in stored)}")


@market_data_app.command("pull")
def market_data_pull(
    date_: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD (default: today)"),
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="one tenant's slug (default: all)")] = None,
) -> None:
    """Fetch a day's snapshot from the configured feed (TREASURY_MARKET_DATA_URL) and store it."""
    settings = Settings()
    if not settings.market_data_url:
        raise typer.BadParameter("TREASURY_MARKET_DATA_URL is not set", param_hint="--date")
    as_of = date_.date() if date_ is not None else today(SystemClock(), settings.timezone)
    source = HttpSource(settings.market_data_url)
    try:
        pulled = hedging_jobs.pull_market_data(
            _uow_factory(settings),
            source,
            source_name=settings.market_data_url,
            as_of=as_of,
            tenant_slug=tenant,
        )
    finally:
        source.close()
    for item in pulled:
        typer.echo(f"{item.slug}: {item.as_of} {item.outcome}")


@app.command()
def revalue(
    date_: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")],
    tenant: Annotated[str | None, typer.Option(help="one tenant's slug (default: all)")] = None,
) -> None:
    """Revalue the hedge books on a date and post the changes (a re-run posts nothing)."""
    as_of = date_.date()
    settings = Settings()
    if as_of > today(SystemClock(), settings.timezone):
        raise typer.BadParameter(f"{as_of} is in the future", param_hint="--date")
    with Progress(console=err) as bar:

        def progress(slug: str) -> Callable[[str, int, int], None]:
            task = bar.add_task(f"{slug} {as_of}", total=3)

            def step(stage: str, _done: int, _total: int) -> None:
                bar.update(task, advance=1, description=f"{slug} {as_of} {stage}")

            return step

        outcomes = hedging_jobs.revalue_all(
            _uow_factory(settings), as_of=as_of, tenant_slug=tenant, progress=progress
        )
    for outcome in outcomes:
        if outcome.failed is not None:
            typer.echo(f"{outcome.slug}: FAILED ({outcome.failed})")
            continue
        if outcome.run is None:
            typer.echo(f"{outcome.slug}: skipped ({outcome.skipped})")
            continue
        run = outcome.run
        state = "already revalued" if run.replayed else run.status
        typer.echo(
            f"{outcome.slug}: {state} {run.as_of}: {run.count} hedges, {run.settled} settled, "
            f"total {run.npv_total}"
        )
        for item in run.set_aside:
            typer.echo(f"  hedge {item.hedge_id} set aside: {item.reason}")
    failed = [outcome.slug for outcome in outcomes if outcome.failed]
    if failed:  # every tenant ran; the failures are in the log and the audit trail
        err.print(
            f"revaluation failed for {len(failed)} tenants: {', '.join(failed)}",
            style="red",
            markup=False,
        )
        raise typer.Exit(1)


sweep_app = typer.Typer(help="Cash-pool sweeps.", no_args_is_help=True)
app.add_typer(sweep_app, name="sweep")


@sweep_app.command("run")
def sweep_run(
    pool: Annotated[str, typer.Option(help="pool id")],
    date_: Annotated[str, typer.Option("--date", help="business date YYYY-MM-DD")],
) -> None:
    """Sweep a pool for a business date, as the scheduler does (a re-run posts nothing)."""
    settings = Settings()
    try:
        business_date = dt.date.fromisoformat(date_)
    except ValueError as error:
        raise typer.BadParameter(f"--date {date_!r} is not YYYY-MM-DD") from error
    factory = _uow_factory(settings)
    tenant_id = pooling_jobs.pool_tenant(factory, pool)
    with rich_progress.Progress(console=err) as bar:
        task = bar.add_task(f"pool {pool} {business_date}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = pool_sweeps.run_sweep(
            factory(),
            tenant_id=tenant_id,
            pool_id=pool,
            business_date=business_date,
            actor=pooling_jobs.system_principal(tenant_id, "cli"),
            calendars=default_calendars(),
            timezone=settings.timezone,
            progress=progress,
        )
    run = result.run
    state = run.status if result.created else f"already run ({run.status})"
    typer.echo(
        json.dumps(
            {
                "id": run.id,
                "pool_id": run.pool_id,
                "business_date": run.business_date.isoformat(),
                "value_date": run.value_date.isoformat(),
                "status": run.status,
                "created": result.created,
                "legs": len(run.legs),
            }
        )
    )
    err.print(f"sweep {run.business_date} of pool {pool}: {state}, {len(run.legs)} legs")


payment_run_app = typer.Typer(
    help="Payment runs: an ERP's supplier payments.", no_args_is_help=True
)
app.add_typer(payment_run_app, name="payment-run")


@payment_run_app.command("import")
def payment_run_import(
    path: Path,
    tenant: Annotated[
        str | None, typer.Option(help="tenant slug (default: the only tenant, if there is one)")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Idempotency-Key (default: the file's SHA-256)")
    ] = None,
) -> None:
    """Screen, route and book an ERP's payment run: a pain.001 (.001.03 or .001.09) or JSON
    `{name?, items: [transfer bodies]}`. Importing the same file again replays the run."""
    settings = Settings()
    factory = _uow_factory(settings)
    slug = tenant if tenant is not None else tenancy_service.sole_tenant_slug(factory())
    tenant_id = hedging_jobs.tenant_id_of(factory, slug)
    data = path.read_bytes()
    prepared = _payment_run(data, factory, tenant_id)
    with Progress(console=err) as bar:
        task = bar.add_task(f"payment run {path.name}", total=len(prepared.submission.items))
        result = payment_runs.create_run(
            factory(),
            principal=pooling_jobs.system_principal(tenant_id, "cli"),
            submission=prepared.submission,
            idempotency_options=payment_service.IdempotencyOptions(
                key=key or hashlib.sha256(data).hexdigest(),
                request_document=prepared.request_document,
                wait_seconds=settings.idempotency_wait_seconds,
            ),
            timezone=settings.timezone,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    run = result.run
    typer.echo(json.dumps({"id": run.id, "source": run.source, "counts": run.counts}))
    state = "already imported" if result.replayed else "imported"
    err.print(f"payment run {run.id} {state}: {run.counts}", markup=False)
    for item in run.items:
        if item.error is not None:
            err.print(f"  item {item.index}: {item.error.code} {item.error.detail}", markup=False)


def _payment_run(
    data: bytes, factory: UnitOfWorkFactory, tenant_id: str
) -> payment_runs_api.Prepared:
    if data.lstrip().startswith(b"<"):
        return payment_runs_api.prepare(data, payment_runs_api.XML, factory, tenant_id)
    try:
        return payment_runs_api.prepare(json.loads(data), payment_runs_api.JSON, factory, tenant_id)
    except ValueError as error:  # not JSON (a run that is not valid raises ValidationFailed)
        raise typer.BadParameter(f"not a payment run: {error}", param_hint="FILE") from None


def main() -> None:
    """Entry point of the console script."""
    trap_float_operations()
    try:
        app()
    except TreasuryError as error:
        err.print(f"[red]{error.code}[/red]: {error.detail}")
        raise SystemExit(1) from error
