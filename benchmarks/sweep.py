"""Benchmark: one sweep of a pool of 1,000 and one of 10,000 members (SQLite and PostgreSQL).

Each member account is funded with a random balance (some overdrawn, so the master funds them);
members belong to one entity per five accounts, and one in a hundred is offshore, so its leg is a
cross-border transfer through the pipeline (screened, routed, booked) and consumes quota. The
time is `run_sweep` alone: plan, every leg, the journal entries, the run's record, the commit.
Targets (DESIGN §6): 10,000 members in ≤ 10 s; the 10k/1k ratio ≤ 12.

Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from benchmarks._setup import (
    load_average,
    log,
    machine,
    postgres_database,
    postgres_url,
    sqlite_database,
    wait_for_background_work,
)
from pooling.model import MemberSpec, Regime, SweepRule
from pooling.service import pools as pool_service
from pooling.service import sweeps
from pooling.service.jobs import system_principal
from treasury.accounts.tables import BankAccountRow, EntityRow
from treasury.calendars import default_calendars
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.ledger.posting import post_entry
from treasury.ledger.repository import internal_account
from treasury.ledger.tables import LedgerAccountRow
from treasury.money import Money, trap_float_operations
from treasury.tenancy import service as tenancy_service

NOW = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)  # 15:30 in Shanghai
BUSINESS_DATE = date(2026, 11, 26)
SIZES = (1_000, 10_000)
ACCOUNTS_PER_ENTITY = 5
OFFSHORE_EVERY = 100
TARGET_10K_SECONDS = 10.0
TARGET_RATIO = 12.0
_ENTITIES = cast(Table, EntityRow.__table__)
_BANK = cast(Table, BankAccountRow.__table__)
_LEDGER = cast(Table, LedgerAccountRow.__table__)


@dataclass(frozen=True)
class Run:
    """One measured sweep."""

    members: int
    seconds: float
    cpu_seconds: float
    legs: int
    cross_border_legs: int


def _entity_row(tenant_id: str, country: str, now: datetime) -> dict[str, object]:
    big = 10_000_000_000_00
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "code": f"E{uuid.uuid4().hex[:10]}",
        "name": "bench",
        "country": country,
        "kind": "enterprise",
        "trade_fx_class": "A",
        "owners_equity_minor": 1_000_000_000_00,
        "net_assets_minor": None,
        "lending_in_business_scope": False,
        "quality_enterprise": False,
        "established_on": date(2010, 1, 1),
        "prior_year_revenue_minor": big,
        "prior_year_cross_border_volume_minor": big,
        "parent_entity_id": None,
        "cross_border_debt_mode": "macro_prudential",
        "facilitation_certificate": None,
        "shareholding_ratio": Decimal(1),
        "total_investment_minor": None,
        "total_investment_currency": None,
        "uscc": None,
        "lei": None,
        "created_at": now,
        "updated_at": now,
    }


def _accounts(
    tenant_id: str, entity_id: str, count: int, kind: str, now: datetime
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    bank: list[dict[str, object]] = []
    ledger: list[dict[str, object]] = []
    for _ in range(count):
        account_id = str(uuid.uuid4())
        ledger.append(
            {
                "id": account_id,
                "tenant_id": tenant_id,
                "account_key": f"bank:{account_id}",
                "entity_id": entity_id,
                "kind": "bank",
                "currency": "CNY",
                "counterpart_entity_id": None,
                "name": "bench",
                "balance_minor": 0,
                "reserved_minor": 0,
                "overdraft_limit_minor": 0,
                "created_at": now,
            }
        )
        bank.append(
            {
                "id": account_id,
                "tenant_id": tenant_id,
                "entity_id": entity_id,
                "currency": "CNY",
                "kind": kind,
                "bank_bic": "BKCHCNBJ",
                "number": account_id[:32],
                "created_at": now,
            }
        )
    return bank, ledger


def _setup(uow_factory: UnitOfWorkFactory, members: int) -> tuple[str, str, list[str]]:
    """A tenant with a host, its master, `members` funded member accounts; (tenant, pool, ids)."""
    tenant, _ = tenancy_service.create_tenant(
        uow_factory(), slug=f"bench-{uuid.uuid4().hex[:10]}", name="bench"
    )
    rng = random.Random(members)
    with uow_factory() as uow:
        session, now = uow.session, uow.clock.now()
        host = _entity_row(tenant.id, "CN", now)
        entities = [host] + [
            _entity_row(
                tenant.id,
                "HK" if index % OFFSHORE_EVERY == 0 else "CN",
                now,
            )
            for index in range(members // ACCOUNTS_PER_ENTITY)
        ]
        _insert_rows(session, _ENTITIES, entities)
        bank, ledger = _accounts(tenant.id, str(host["id"]), 1, "pool_master", now)
        for entity in entities[1:]:
            more_bank, more_ledger = _accounts(
                tenant.id, str(entity["id"]), ACCOUNTS_PER_ENTITY, "current", now
            )
            bank += more_bank
            ledger += more_ledger
        _insert_rows(session, _LEDGER, ledger)
        _insert_rows(session, _BANK, bank)
        master, member_ids = str(bank[0]["id"]), [str(row["id"]) for row in bank[1:]]
        suspense = internal_account(
            session,
            tenant_id=tenant.id,
            entity_id=str(host["id"]),
            kind=LedgerAccountKind.SUSPENSE,
            currency="CNY",
            created_at=now,
        ).id
        postings = [
            Posting(
                debit_account_id=master,
                credit_account_id=suspense,
                amount=Money.of("1000000.00", "CNY"),
            )
        ]
        for account_id in member_ids:
            amount = Money.from_minor(rng.randint(1, 5_000_000_00), "CNY")
            postings.append(
                Posting(debit_account_id=account_id, credit_account_id=suspense, amount=amount)
            )
        entry = JournalEntry(
            id=str(uuid.uuid4()),
            value_date=date(2026, 11, 20),
            kind="statement",
            description="benchmark funding",
            postings=tuple(postings),
        )
        post_entry(session, tenant_id=tenant.id, entry=entry, posted_at=now)
        uow.commit()
    pool = pool_service.create_pool(
        uow_factory(),
        tenant_id=tenant.id,
        actor="bench",
        spec=pool_service.PoolSpec(
            name="bench",
            regime=Regime.INTEGRATED_251,
            currency="CNY",
            master_account_id=master,
            members=[
                MemberSpec(
                    account_id=account_id,
                    rule=SweepRule.TARGET_BALANCE if index % 3 == 0 else SweepRule.ZERO_BALANCE,
                    target_minor=2_000_000_00 if index % 3 == 0 else None,
                )
                for index, account_id in enumerate(member_ids)
            ],
            interest=None,
            filing_ref="BENCH-FILING",
            bop_code="822020",
            schedule=None,
        ),
        timezone="Asia/Shanghai",
    )
    return tenant.id, pool.id, member_ids


def measure(url: str, members: int) -> Run:
    """Set up a pool of `members` and time one sweep."""
    engine = build_engine(url, pool_size=2)
    try:
        uow_factory = UnitOfWorkFactory(engine, FixedClock(NOW))
        tenant_id, pool_id, _ = _setup(uow_factory, members)
        started, cpu_started = time.perf_counter(), time.process_time()
        result = sweeps.run_sweep(
            uow_factory(),
            tenant_id=tenant_id,
            pool_id=pool_id,
            business_date=BUSINESS_DATE,
            actor=system_principal(tenant_id, "bench"),
            calendars=default_calendars(),
            timezone="Asia/Shanghai",
        )
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        wait_for_background_work()
    finally:
        engine.dispose()
    legs_ = result.run.legs
    return Run(members, elapsed, cpu, len(legs_), sum(leg.cross_border for leg in legs_))


def _measure_all(url: str) -> dict[int, Run]:
    migrate.upgrade(url)
    return {size: measure(url, size) for size in SIZES}


def _summary(runs: dict[int, Run] | None) -> dict[str, object] | None:
    if runs is None:
        return None
    small, large = runs[SIZES[0]], runs[SIZES[1]]
    return {
        "seconds_1k": round(small.seconds, 2),
        "seconds_10k": round(large.seconds, 2),
        "cpu_seconds_10k": round(large.cpu_seconds, 2),
        "ratio_10k_1k": round(large.seconds / small.seconds, 2),
        "legs_10k": large.legs,
        "cross_border_legs_10k": large.cross_border_legs,
        "meets_target": large.seconds <= TARGET_10K_SECONDS
        and large.seconds / small.seconds <= TARGET_RATIO,
    }


def _insert_rows(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    """Bulk Core insert (executemany) of the benchmark's set-up rows."""
    for start in range(0, len(rows), 1000):
        session.connection().execute(insert(table), rows[start : start + 1000])


def main() -> None:
    """Measure on SQLite and (when configured) PostgreSQL; print one JSON line."""
    trap_float_operations()
    started, load_at_start = time.perf_counter(), load_average()
    with sqlite_database() as url:
        sqlite = _measure_all(url)
    log(f"sweep: sqlite {_summary(sqlite)}")
    postgres = None
    base = postgres_url()
    if base is not None:
        with postgres_database(base, "bench_sweep") as url:
            postgres = _measure_all(url)
        log(f"sweep: postgresql {_summary(postgres)}")
    else:
        log("sweep: TREASURY_BENCH_POSTGRES_URL not set; PostgreSQL skipped")
    print(
        json.dumps(
            {
                "benchmark": "sweep",
                "sqlite": _summary(sqlite),
                "postgresql": _summary(postgres),
                "members": list(SIZES),
                "accounts_per_entity": ACCOUNTS_PER_ENTITY,
                "offshore_share": 1 / OFFSHORE_EVERY,
                "target_10k_seconds": TARGET_10K_SECONDS,
                "target_ratio": TARGET_RATIO,
                "total_seconds": round(time.perf_counter() - started, 1),
                "load_average_1m": [load_at_start, load_average()],
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
