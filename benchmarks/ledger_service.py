"""Ledger throughput: transfers per second through the service layer, one unit of work each.

`treasury.payments.service.transfers.create_transfer` (idempotency claim, screening, funds check,
routing, posting, audit) with a distinct Idempotency-Key per transfer, round-robin between a handful
of funded accounts of one entity; on a temp SQLite file and, when TREASURY_BENCH_POSTGRES_URL is
set, on a fresh PostgreSQL database. Target (DESIGN §6): ≥ 1,000 transfers/s on SQLite.

Prints one JSON line. `--profile` prints the top cProfile costs of the SQLite run to stderr.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from benchmarks._setup import (
    Ledger,
    load_average,
    log,
    machine,
    make_ledger,
    postgres_database,
    postgres_url,
    sqlite_database,
    wait_for_background_work,
)
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money, trap_float_operations
from treasury.payments.model import Purpose, TransferRequest, TransferStatus
from treasury.payments.service import transfers as service

SQLITE_TRANSFERS = 5_000
POSTGRES_TRANSFERS = 2_000
WARM_UP = 50
ACCOUNTS = 6
TARGET_SQLITE_PER_S = 1_000
TIMEZONE = "Asia/Shanghai"
# 10:00 in Shanghai on Thursday 2026-11-26: value today, a business day.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
VALUE_DATE = date(2026, 11, 26)
AMOUNT = Money.of("10.00", "CNY")


@dataclass(frozen=True)
class Run:
    """One database's measurement."""

    transfers_per_s: float
    seconds: float
    cpu_seconds: float


def _transfer(uow_factory: UnitOfWorkFactory, ledger: Ledger, index: int) -> None:
    accounts = ledger.account_ids
    debtor, creditor = accounts[index % len(accounts)], accounts[(index + 1) % len(accounts)]
    key = uuid.uuid4().hex
    result = service.create_transfer(
        uow_factory(),
        principal=ledger.principal,
        request=TransferRequest(
            debtor_account_id=debtor,
            creditor_account_id=creditor,
            amount=AMOUNT,
            value_date=VALUE_DATE,
            purpose=Purpose.GOODS_TRADE,
        ),
        idempotency_options=service.IdempotencyOptions(
            key=key,
            request_document={
                "debtor_account_id": debtor,
                "creditor_account_id": creditor,
                "amount": {"amount": "10.00", "currency": "CNY"},
                "value_date": VALUE_DATE.isoformat(),
                "purpose": Purpose.GOODS_TRADE.value,
            },
            wait_seconds=5.0,
        ),
        timezone=TIMEZONE,
    )
    if result.replayed or result.transfer.status is not TransferStatus.BOOKED:
        raise RuntimeError(f"transfer {index}: {result.transfer.status} replayed={result.replayed}")


def measure(url: str, transfers: int, *, profile: cProfile.Profile | None = None) -> Run:
    """Migrate `url`, set up a funded ledger, then time `transfers` transfers."""
    migrate.upgrade(url)
    engine = build_engine(url, pool_size=2)
    try:
        uow_factory = UnitOfWorkFactory(engine, FixedClock(NOW))
        ledger = make_ledger(
            uow_factory,
            accounts=ACCOUNTS,
            funding=Money.of("100000000.00", "CNY"),
            funded_on=date(2026, 11, 20),
        )
        for index in range(WARM_UP):
            _transfer(uow_factory, ledger, index)
        if profile is not None:
            profile.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        for index in range(transfers):
            _transfer(uow_factory, ledger, WARM_UP + index)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if profile is not None:
            profile.disable()
        wait_for_background_work()
    finally:
        engine.dispose()
    return Run(transfers_per_s=transfers / elapsed, seconds=elapsed, cpu_seconds=cpu)


def main() -> None:
    """Measure on SQLite and (when configured) PostgreSQL; print one JSON line."""
    trap_float_operations()
    profile = cProfile.Profile() if "--profile" in sys.argv[1:] else None
    started, load_at_start = time.perf_counter(), load_average()
    with sqlite_database() as url:
        sqlite = measure(url, SQLITE_TRANSFERS, profile=profile)
    log(f"ledger_service: sqlite {sqlite.transfers_per_s:.0f}/s in {sqlite.seconds:.1f} s")
    if profile is not None:
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    postgres: Run | None = None
    base = postgres_url()
    if base is not None:
        with postgres_database(base, "bench_ledger") as url:
            postgres = measure(url, POSTGRES_TRANSFERS)
        rate, seconds = postgres.transfers_per_s, postgres.seconds
        log(f"ledger_service: postgresql {rate:.0f}/s in {seconds:.1f} s")
    else:
        log("ledger_service: TREASURY_BENCH_POSTGRES_URL not set; PostgreSQL skipped")
    print(
        json.dumps(
            {
                "benchmark": "ledger_service",
                "sqlite_transfers_per_s": round(sqlite.transfers_per_s, 1),
                "postgresql_transfers_per_s": None
                if postgres is None
                else round(postgres.transfers_per_s, 1),
                # Per second of this process's CPU: what the code costs whatever else the machine
                # runs meanwhile (wall-clock rates fall when other work shares the cores).
                "sqlite_transfers_per_cpu_s": round(SQLITE_TRANSFERS / sqlite.cpu_seconds, 1),
                "postgresql_transfers_per_cpu_s": None
                if postgres is None
                else round(POSTGRES_TRANSFERS / postgres.cpu_seconds, 1),
                "n": SQLITE_TRANSFERS,
                "n_postgresql": None if postgres is None else POSTGRES_TRANSFERS,
                "accounts": ACCOUNTS,
                "target_sqlite_per_s": TARGET_SQLITE_PER_S,
                "meets_target": sqlite.transfers_per_s >= TARGET_SQLITE_PER_S,
                "total_seconds": round(time.perf_counter() - started, 1),
                "load_average_1m": [load_at_start, load_average()],
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
