"""Benchmark: the treasurer's group view and 14-day liquidity ladder over a large group.

A group of 1,000 entities (CN, HK, SG) with 10,000 bank accounts in CNY, USD, HKD and EUR at
eight banks, and a year of postings (each account moves about twice a month, plus movements
booked with value dates in the next 14 days) bulk-inserted straight into the ledger's tables
with consistent running balances and per-day movements; 300 transfers held for review reserve
funds. The time is the use case alone (`cash_positions` for each grouping, `liquidity_ladder`
for 14 days), each called `REPEATS` times after one warm-up call.
Target (issue 13): each ≤ 200 ms on SQLite and PostgreSQL.

Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
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
)
from positions import service
from positions.model import GroupBy
from treasury.accounts.tables import BankAccountRow, EntityRow
from treasury.calendars import default_calendars
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger.tables import AccountDayRow, JournalEntryRow, LedgerAccountRow, PostingRow
from treasury.money import trap_float_operations
from treasury.payments.tables import TransferRow
from treasury.refdata.tables import ReferenceRateRow
from treasury.tenancy import service as tenancy_service

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
AS_OF = date(2026, 11, 26)
ENTITIES = 1_000
ACCOUNTS = 10_000
POSTINGS_PER_ACCOUNT_YEAR = 24
FUTURE_POSTINGS = 3_000
HELD_TRANSFERS = 300
REPEATS = 30
TARGET_MS = 200.0
CURRENCIES = (("CNY", 60), ("USD", 25), ("HKD", 10), ("EUR", 5))
COUNTRIES = (("CN", 80), ("HK", 15), ("SG", 5))
BANKS = (
    "BKCHCNBJ",
    "ICBKCNBJ",
    "PCBCCNBJ",
    "ABOCCNBJ",
    "COMMCNSH",
    "CMBCCNBS",
    "BKCHHKHH",
    "DBSSSGSG",
)
RATES = {"USDCNY": "7.1025", "HKDCNY": "0.9125", "EURCNY": "7.5010"}
CHUNK = 2_000


def _table(row: type[object]) -> Table:
    return cast(Table, row.__table__)  # type: ignore[attr-defined]


def _insert(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(table), rows[start : start + CHUNK])


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _entity(tenant_id: str, index: int, country: str) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "code": f"E{index:04d}",
        "name": f"Entity {index}",
        "country": country,
        "kind": "enterprise",
        "trade_fx_class": "A",
        "owners_equity_minor": 1_000_000_000_00,
        "net_assets_minor": None,
        "lending_in_business_scope": False,
        "quality_enterprise": False,
        "established_on": date(2010, 1, 1),
        "prior_year_revenue_minor": None,
        "prior_year_cross_border_volume_minor": None,
        "parent_entity_id": None,
        "cross_border_debt_mode": "macro_prudential",
        "facilitation_certificate": None,
        "shareholding_ratio": Decimal(1),
        "total_investment_minor": None,
        "total_investment_currency": None,
        "uscc": None,
        "lei": None,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _ledger_account(
    tenant_id: str, account_id: str, entity_id: str, currency: str, kind: str, key: str
) -> dict[str, object]:
    return {
        "id": account_id,
        "tenant_id": tenant_id,
        "account_key": key,
        "entity_id": entity_id,
        "kind": kind,
        "currency": currency,
        "counterpart_entity_id": None,
        "name": "bench",
        "balance_minor": 0,
        "reserved_minor": 0,
        "overdraft_limit_minor": 0 if kind == "bank" else None,
        "created_at": NOW,
    }


def _postings(
    rng: random.Random, accounts: list[tuple[str, str]], suspense: dict[str, str]
) -> tuple[list[dict[str, object]], dict[tuple[str, date], int]]:
    """Postings between each bank account and its currency's suspense account; day movements."""
    first = AS_OF - timedelta(days=364)
    movements: dict[tuple[str, date], int] = defaultdict(int)
    postings: list[dict[str, object]] = []
    plan = [
        (account_id, currency, first + timedelta(days=rng.randrange(365)))
        for account_id, currency in accounts
        for _ in range(POSTINGS_PER_ACCOUNT_YEAR)
    ]
    plan += [
        (*rng.choice(accounts), AS_OF + timedelta(days=rng.randrange(1, 14)))
        for _ in range(FUTURE_POSTINGS)
    ]
    for index, (account_id, currency, day) in enumerate(plan):
        # Money in at first (the opening funding), then either way.
        amount = rng.randrange(100_00, 2_000_000_00)
        inflow = index % POSTINGS_PER_ACCOUNT_YEAR == 0 or rng.random() < 0.55
        debit, credit = (
            (account_id, suspense[currency]) if inflow else (suspense[currency], account_id)
        )
        postings.append(
            {
                "tenant_id": "",
                "debit_account_id": debit,
                "credit_account_id": credit,
                "amount_minor": amount,
                "currency": currency,
                "value_date": day,
            }
        )
        movements[(debit, day)] += amount
        movements[(credit, day)] -= amount
    return postings, movements


def setup(uow_factory: UnitOfWorkFactory) -> str:
    """The group, its year of postings and its held transfers; returns the tenant's id."""
    rng = random.Random(13)
    tenant, _ = tenancy_service.create_tenant(
        uow_factory(), slug=f"bench-{uuid.uuid4().hex[:10]}", name="bench"
    )
    with uow_factory() as uow:
        session = uow.session
        entities = [
            _entity(tenant.id, index, _weighted(rng, COUNTRIES)) for index in range(ENTITIES)
        ]
        _insert(session, _table(EntityRow), entities)
        ledger, bank, accounts = [], [], []
        for index in range(ACCOUNTS):
            entity = entities[index % ENTITIES]
            account_id, currency = str(uuid.uuid4()), _weighted(rng, CURRENCIES)
            ledger.append(
                _ledger_account(
                    tenant.id, account_id, str(entity["id"]), currency, "bank", f"bank:{account_id}"
                )
            )
            bank.append(
                {
                    "id": account_id,
                    "tenant_id": tenant.id,
                    "entity_id": entity["id"],
                    "currency": currency,
                    "kind": "current",
                    "bank_bic": rng.choice(BANKS),
                    "number": account_id[:32],
                    "created_at": NOW,
                }
            )
            accounts.append((account_id, currency))
        suspense = {}
        for currency, _ in CURRENCIES:
            account_id = str(uuid.uuid4())
            suspense[currency] = account_id
            key = f"{entities[0]['id']}:suspense:{currency}"
            ledger.append(
                _ledger_account(
                    tenant.id, account_id, str(entities[0]["id"]), currency, "suspense", key
                )
            )
        postings, movements = _postings(rng, accounts, suspense)
        balances: dict[str, int] = defaultdict(int)
        for (account_id, _), movement in movements.items():
            balances[account_id] += movement
        held = _held(rng, tenant.id, accounts)
        reserved: dict[str, int] = defaultdict(int)
        for transfer in held:
            reserved[str(transfer["debtor_account_id"])] += int(str(transfer["amount_minor"]))
        for row in ledger:
            row["balance_minor"] = balances.get(str(row["id"]), 0)
            row["reserved_minor"] = reserved.get(str(row["id"]), 0)
        _insert(session, _table(LedgerAccountRow), ledger)
        _insert(session, _table(BankAccountRow), bank)
        days = {cast(date, p["value_date"]) for p in postings}
        entry_of = {day: str(uuid.uuid4()) for day in sorted(days)}
        _insert(
            session,
            _table(JournalEntryRow),
            [
                {
                    "id": entry_id,
                    "tenant_id": tenant.id,
                    "value_date": day,
                    "kind": "statement",
                    "description": "benchmark movements",
                    "reverses_entry_id": None,
                    "source_id": None,
                    "posted_at": NOW,
                }
                for day, entry_id in entry_of.items()
            ],
        )
        for posting in postings:
            posting["tenant_id"] = tenant.id
            posting["entry_id"] = entry_of[cast(date, posting["value_date"])]
        _insert(session, _table(PostingRow), postings)
        _insert(
            session,
            _table(AccountDayRow),
            [
                {"account_id": account_id, "value_date": day, "movement_minor": movement}
                for (account_id, day), movement in movements.items()
            ],
        )
        _insert(session, _table(TransferRow), held)
        _insert(
            session,
            _table(ReferenceRateRow),
            [
                {
                    "id": str(uuid.uuid4()),
                    "pair": pair,
                    "rate_date": AS_OF,
                    "rate": Decimal(rate),
                    "source": "benchmark",
                    "version": 1,
                    "loaded_at": NOW,
                }
                for pair, rate in RATES.items()
            ],
        )
        uow.commit()
        log(f"cash_positions: {len(postings):,} postings, {len(movements):,} account days")
    return tenant.id


def _held(
    rng: random.Random, tenant_id: str, accounts: list[tuple[str, str]]
) -> list[dict[str, object]]:
    """Transfers held for review between two of the group's accounts of one currency."""
    by_currency: dict[str, list[str]] = defaultdict(list)
    for account_id, currency in accounts:
        by_currency[currency].append(account_id)
    rows: list[dict[str, object]] = []
    for _ in range(HELD_TRANSFERS):
        currency = rng.choice(sorted(by_currency))
        debtor, creditor = rng.sample(by_currency[currency], 2)
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "tenant_id": tenant_id,
                "status": "held",
                "debtor_account_id": debtor,
                "creditor_account_id": creditor,
                "amount_minor": rng.randrange(100_00, 500_000_00),
                "currency": currency,
                "requested_value_date": AS_OF + timedelta(days=rng.randrange(0, 10)),
                "purpose": "other",
                "references_json": "{}",
                "market": currency,
                "crosses_border": False,
                "back_valued": False,
                "findings_json": "[]",
                "reserved_minor": 0,
                "created_by_token_id": str(uuid.uuid4()),
                "created_by": "bench",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    for row in rows:
        row["reserved_minor"] = row["amount_minor"]
    return rows


def _timed(call: object) -> tuple[list[float], list[float]]:
    """Wall-clock and this process's CPU milliseconds of each of `REPEATS` calls."""
    assert callable(call)
    call()  # warm-up: caches, query plans
    wall, cpu = [], []
    for _ in range(REPEATS):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return wall, cpu


def _stats(samples: tuple[list[float], list[float]]) -> dict[str, float]:
    wall, cpu = samples
    ordered = sorted(wall)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "mean_ms": round(statistics.fmean(ordered), 1),
        "p99_ms": round(p99, 1),
        "cpu_mean_ms": round(statistics.fmean(cpu), 1),
    }


def measure(url: str) -> dict[str, object]:
    """Build the group on a fresh database and time the group view and the ladder."""
    migrate.upgrade(url)
    engine = build_engine(url, pool_size=2)
    try:
        uow_factory = UnitOfWorkFactory(engine, FixedClock(NOW))
        started = time.perf_counter()
        tenant_id = setup(uow_factory)
        # A bulk load leaves the planner without statistics until autovacuum gets to it (on
        # PostgreSQL the first minutes' plans were seconds long); a live database has them.
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        setup_seconds = time.perf_counter() - started
        views: dict[str, object] = {}
        worst = 0.0
        for group_by in GroupBy:
            samples = _timed(
                lambda g=group_by: service.cash_positions(
                    uow_factory.read_only(), tenant_id=tenant_id, as_of=AS_OF, group_by=g
                )
            )
            views[group_by.value] = _stats(samples)
            worst = max(worst, statistics.fmean(samples[0]))
        calendars = default_calendars()
        ladder = _timed(
            lambda: service.liquidity_ladder(
                uow_factory.read_only(),
                tenant_id=tenant_id,
                first=AS_OF,
                days=14,
                today_=AS_OF,
                calendars=calendars,
            )
        )
        shown = service.cash_positions(
            uow_factory.read_only(), tenant_id=tenant_id, as_of=AS_OF, group_by=GroupBy.ENTITY
        )
    finally:
        engine.dispose()
    return {
        "group_view": views,
        "ladder_14_days": _stats(ladder),
        "groups_by_entity": len(shown.groups),
        "setup_seconds": round(setup_seconds, 1),
        "meets_target": worst <= TARGET_MS and statistics.fmean(ladder[0]) <= TARGET_MS,
    }


def main() -> None:
    """Measure on SQLite and (when configured) PostgreSQL; print one JSON line."""
    trap_float_operations()
    started, load_at_start = time.perf_counter(), load_average()
    with sqlite_database() as url:
        sqlite = measure(url)
    log(f"cash_positions: sqlite {sqlite}")
    postgres = None
    base = postgres_url()
    if base is not None:
        with postgres_database(base, "bench_positions") as url:
            postgres = measure(url)
        log(f"cash_positions: postgresql {postgres}")
    else:
        log("cash_positions: TREASURY_BENCH_POSTGRES_URL not set; PostgreSQL skipped")
    print(
        json.dumps(
            {
                "benchmark": "cash_positions",
                "sqlite": sqlite,
                "postgresql": postgres,
                "entities": ENTITIES,
                "accounts": ACCOUNTS,
                "postings": ACCOUNTS * POSTINGS_PER_ACCOUNT_YEAR + FUTURE_POSTINGS,
                "held_transfers": HELD_TRANSFERS,
                "repeats": REPEATS,
                "target_ms": TARGET_MS,
                "total_seconds": round(time.perf_counter() - started, 1),
                "load_average_1m": [load_at_start, load_average()],
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
