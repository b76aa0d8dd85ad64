"""Payment runs: N payments screened, routed and booked as one run (DESIGN §6, issue 14).

`treasury.payments.service.payment_runs.create_run` with N transfer items between a handful of
funded CNY accounts of one entity (the same instruction as `ledger_service`, so the two compare per
payment), every 50th item malformed (an unknown debtor account: it carries its error and stops
nothing). On a temp SQLite file and, when TREASURY_BENCH_POSTGRES_URL is set, on a fresh
PostgreSQL database. Targets: 10,000 payments in ≤ 5 s on SQLite, ≤ 8 s on PostgreSQL.

`--n N` changes the run's size (default 10,000); `--profile` prints the top cProfile costs of the
SQLite run to stderr. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from benchmarks._setup import (
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
from treasury.errors import NotFound
from treasury.money import Money, trap_float_operations
from treasury.payments.model import Purpose, TransferRequest
from treasury.payments.service import payment_runs
from treasury.payments.service import transfers as service

TARGET_SQLITE_S = 5.0
TARGET_POSTGRES_S = 8.0
ACCOUNTS = 6
MALFORMED_EVERY = 50
TIMEZONE = "Asia/Shanghai"
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a business day
VALUE_DATE = date(2026, 11, 26)
AMOUNT = Money.of("10.00", "CNY")


@dataclass(frozen=True)
class Run:
    """One database's measurement."""

    seconds: float
    cpu_seconds: float
    counts: dict[str, int]


def _items(account_ids: list[str], n: int) -> list[payment_runs.ItemIn]:
    items = []
    for index in range(n):
        if index % MALFORMED_EVERY == MALFORMED_EVERY - 1:
            error = payment_runs.ItemError(NotFound.code, "debtor account NOT-OURS unknown")
            items.append(payment_runs.ItemIn(None, error, f"E2E-{index}"))
            continue
        debtor = account_ids[index % len(account_ids)]
        creditor = account_ids[(index + 1) % len(account_ids)]
        request = TransferRequest(
            debtor_account_id=debtor,
            creditor_account_id=creditor,
            amount=AMOUNT,
            value_date=VALUE_DATE,
            purpose=Purpose.GOODS_TRADE,
            remark=f"INV {index}",
        )
        items.append(payment_runs.ItemIn(request, reference=f"E2E-{index}"))
    return items


def measure(url: str, n: int, *, profile: cProfile.Profile | None = None) -> Run:
    """Migrate `url`, set up a funded ledger, then time one run of `n` payments."""
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
        submission = payment_runs.Submission(
            name="bench", source="json", message_id=None, items=_items(list(ledger.account_ids), n)
        )
        if profile is not None:
            profile.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = payment_runs.create_run(
            uow_factory(),
            principal=ledger.principal,
            submission=submission,
            idempotency_options=service.IdempotencyOptions(
                key=uuid.uuid4().hex, request_document={"bench": n}, wait_seconds=5.0
            ),
            timezone=TIMEZONE,
        )
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if profile is not None:
            profile.disable()
        wait_for_background_work()
    finally:
        engine.dispose()
    counts = result.run.counts
    expected_invalid = n // MALFORMED_EVERY
    if counts.get("booked") != n - expected_invalid or counts.get("invalid") != expected_invalid:
        raise RuntimeError(f"unexpected outcome {counts}")
    return Run(seconds=elapsed, cpu_seconds=cpu, counts=counts)


def main() -> None:
    """Measure on SQLite and (when configured) PostgreSQL; print one JSON line."""
    trap_float_operations()
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    profile = cProfile.Profile() if args.profile else None
    started, load_at_start = time.perf_counter(), load_average()
    with sqlite_database() as url:
        sqlite = measure(url, args.n, profile=profile)
    log(f"payment_runs: sqlite {args.n} payments in {sqlite.seconds:.1f} s ({sqlite.counts})")
    if profile is not None:
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(20)
    postgres: Run | None = None
    base = postgres_url()
    if base is not None:
        with postgres_database(base, "bench_runs") as url:
            postgres = measure(url, args.n)
        log(f"payment_runs: postgresql {args.n} payments in {postgres.seconds:.1f} s")
    else:
        log("payment_runs: TREASURY_BENCH_POSTGRES_URL not set; PostgreSQL skipped")
    print(
        json.dumps(
            {
                "benchmark": "payment_runs",
                "n": args.n,
                "sqlite_seconds": round(sqlite.seconds, 2),
                "sqlite_payments_per_s": round(args.n / sqlite.seconds, 1),
                "sqlite_payments_per_cpu_s": round(args.n / sqlite.cpu_seconds, 1),
                "postgresql_seconds": None if postgres is None else round(postgres.seconds, 2),
                "postgresql_payments_per_cpu_s": None
                if postgres is None
                else round(args.n / postgres.cpu_seconds, 1),
                "counts": sqlite.counts,
                "target_sqlite_s": TARGET_SQLITE_S,
                "target_postgresql_s": TARGET_POSTGRES_S,
                "meets_target": (args.n >= 10_000 and sqlite.seconds <= TARGET_SQLITE_S)
                and (postgres is None or postgres.seconds <= TARGET_POSTGRES_S),
                "total_seconds": round(time.perf_counter() - started, 1),
                "load_average_1m": [load_at_start, load_average()],
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
