"""Bank files in: a 2 MiB camt.053 imported and matched, a 10,000-line pain.002 applied.

Set-up (not timed): a funded entity with a postal address pays `MATCHED` domestic supplier
invoices in one payment run, so that many transfers are booked and routed, each with its
EndToEndId. Then, timed apart:
- `pain002`: `bank_reports.apply_status_report` with 10,000 transaction statuses — the run's
  `MATCHED` payments accepted (ACCP), the rest naming EndToEndIds the tenant never sent (looked up
  and reported unmatched, as a bank's report for another system's payments would be);
- `camt053`: `statements_in.import_statement` with a camt.053.001.08 of just under 2 MiB (about
  7,000 booked entries) on the paying account — the run's payments as debits carrying their
  EndToEndIds (matched: each transfer settled), the rest receipts posted to suspense.
On a temp SQLite file and, when TREASURY_BENCH_POSTGRES_URL is set, on a fresh PostgreSQL
database. Targets (issue 14): each ≤ 2 s on both. `--matched N` changes the run's size.

The XSDs are built first, as an API process does at start (`treasury.settlement.schemas`); that
warm-up is timed apart (`schema_warmup_seconds`) and the files are then validated in full as
always (in the XSD validation worker, beside the import). Each figure comes with the benchmark
process's CPU seconds (`…_cpu_seconds`: the machine may be shared), also with its validation
worker's (`…_with_validation_worker`), and the camt.053 parsed and validated alone in this process
(`camt053_parse_seconds`, timed once more after the import): what the import took before the
validation moved beside it.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from benchmarks._setup import (
    load_average,
    log,
    machine,
    make_ledger,
    postgres_database,
    postgres_url,
    process_tree_cpu_seconds,
    sqlite_database,
    wait_for_background_work,
)
from treasury.accounts import service as accounts_service
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money, trap_float_operations
from treasury.payments.model import Purpose, TransferRequest
from treasury.payments.service import bank_reports, payment_runs, statements_in
from treasury.payments.service import transfers as service
from treasury.payments.tables import TransferRow
from treasury.settlement import camt053
from treasury.settlement import schemas as bank_file_schemas
from treasury.settlement.tables import RouteDecisionRow
from treasury.tenancy.model import Principal

TARGET_S = 2.0
PAIN002_LINES = 10_000
CAMT053_MAX_BYTES = 2 * 1024 * 1024 - 1024
TIMEZONE = "Asia/Shanghai"
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
VALUE_DATE = date(2026, 11, 26)
ADDRESS = {"street": "Century Avenue", "building": "100", "town": "Shanghai", "country": "CN"}
SUPPLIER = {
    "name": "Shanghai Precision Parts Co Ltd",
    "country": "CN",
    "bank_bic": "ICBKCNBJ",
    "account": "6222020200112233",
    "address": {"street": "Zhangjiang Road", "building": "88", "town": "Shanghai", "country": "CN"},
}
CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.12"


@dataclass(frozen=True)
class Paid:
    """A booked payment of the set-up run: its EndToEndId, amount and value date."""

    end_to_end_id: str
    amount: Money
    value_date: date


@dataclass(frozen=True)
class Run:
    """One database's measurement."""

    pain002_seconds: float
    pain002_cpu_seconds: float
    pain002_tree_cpu_seconds: float
    pain002_accepted: int
    camt053_seconds: float
    camt053_cpu_seconds: float
    camt053_tree_cpu_seconds: float
    camt053_parse_seconds: float
    camt053_bytes: int
    camt053_entries: int
    camt053_matched: int


def _pay(uow_factory: UnitOfWorkFactory, matched: int) -> tuple[Principal, str, str, list[Paid]]:
    ledger = make_ledger(
        uow_factory,
        accounts=1,
        funding=Money.of("100000000.00", "CNY"),
        funded_on=date(2026, 11, 20),
    )
    account_id = ledger.account_ids[0]
    account = accounts_service.get_bank_account(
        uow_factory(), tenant_id=ledger.tenant_id, account_id=account_id
    )
    accounts_service.update_entity(
        uow_factory(),
        tenant_id=ledger.tenant_id,
        entity_id=account.entity_id,
        fields={"address": ADDRESS},
    )
    items = [
        payment_runs.ItemIn(
            TransferRequest(
                debtor_account_id=account_id,
                amount=Money.of(f"{100 + index}.{index % 100:02d}", "CNY"),
                value_date=VALUE_DATE,
                purpose=Purpose.GOODS_TRADE,
                creditor=dict(SUPPLIER),
                remark=f"INV {index}",
            )
        )
        for index in range(matched)
    ]
    result = payment_runs.create_run(
        uow_factory(),
        principal=ledger.principal,
        submission=payment_runs.Submission("bench", "json", None, items),
        idempotency_options=service.IdempotencyOptions(uuid.uuid4().hex, {"n": matched}, 5.0),
        timezone=TIMEZONE,
    )
    ids = [item.transfer_id for item in result.run.items if item.status == "booked"]
    with uow_factory() as uow:
        query = (
            select(RouteDecisionRow.end_to_end_id, TransferRow.amount_minor, TransferRow.value_date)
            .join(TransferRow, TransferRow.id == RouteDecisionRow.transfer_id)
            .where(TransferRow.id.in_(ids))
        )
        paid = [
            Paid(e2e, Money.from_minor(minor, "CNY"), value_date or VALUE_DATE)
            for e2e, minor, value_date in uow.session.execute(query)
        ]
    if len(paid) != matched:
        raise RuntimeError(f"the set-up run booked {len(paid)} of {matched}: {result.run.counts}")
    number = f"BENCH{0:04d}"
    return ledger.principal, account_id, number, paid


def _pain002(paid: list[Paid]) -> bytes:
    lines = [
        f"<TxInfAndSts><OrgnlEndToEndId>{p.end_to_end_id}</OrgnlEndToEndId><TxSts>ACCP</TxSts></TxInfAndSts>"
        for p in paid
    ]
    lines += [
        f"<TxInfAndSts><OrgnlEndToEndId>OTHER-{index:08d}</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>"
        for index in range(PAIN002_LINES - len(lines))
    ]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{PAIN002}"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>STS-{uuid.uuid4().hex[:20]}</MsgId>"
        "<CreDtTm>2026-11-26T15:00:00+08:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>BENCH-RUN</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>BENCH</OrgnlPmtInfId>{''.join(lines)}"
        "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()


def _entry(ref: str, amount: Money, sign: str, value: date, e2e: str | None) -> str:
    details = (
        ""
        if e2e is None
        else f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs></TxDtls></NtryDtls>"
    )
    return (
        f'<Ntry><Amt Ccy="CNY">{amount.to_wire()}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
        f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{value}</Dt></BookgDt><ValDt><Dt>{value}</Dt></ValDt>"
        f"<AcctSvcrRef>{ref}</AcctSvcrRef><BkTxCd><Prtry><Cd>TRF</Cd></Prtry></BkTxCd>"
        f"{details}<AddtlNtryInf>statement line {ref}</AddtlNtryInf></Ntry>"
    )


def _camt053(number: str, paid: list[Paid]) -> tuple[bytes, int]:
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>STM-{uuid.uuid4().hex[:16]}</MsgId>"
        "<CreDtTm>2026-11-26T18:00:00+08:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>S1</Id><Acct><Id><Othr><Id>{number}</Id></Othr></Id></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">0.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>"
    )
    tail = "</Stmt></BkToCstmrStmt></Document>"
    entries = [
        _entry(f"D{index:06d}", p.amount, "DBIT", p.value_date, p.end_to_end_id)
        for index, p in enumerate(paid)
    ]
    size = len(head) + len(tail) + sum(len(e) for e in entries)
    index = 0
    while True:
        receipt = _entry(
            f"C{index:06d}", Money.of(f"{1 + index % 997}.25", "CNY"), "CRDT", VALUE_DATE, None
        )
        if size + len(receipt) > CAMT053_MAX_BYTES:
            break
        entries.append(receipt)
        size += len(receipt)
        index += 1
    return (head + "".join(entries) + tail).encode(), len(entries)


def measure(url: str, matched: int) -> Run:
    """Migrate `url`, book the run, then time the pain.002 and the camt.053."""
    migrate.upgrade(url)
    engine = build_engine(url, pool_size=2)
    try:
        uow_factory = UnitOfWorkFactory(engine, FixedClock(NOW))
        principal, _account_id, number, paid = _pay(uow_factory, matched)
        report = _pain002(paid)
        tree = process_tree_cpu_seconds(os.getpid())
        cpu, started = time.process_time(), time.perf_counter()
        applied = bank_reports.apply_status_report(uow_factory(), principal=principal, xml=report)
        pain002_seconds = time.perf_counter() - started
        pain002_cpu = time.process_time() - cpu
        pain002_tree = process_tree_cpu_seconds(os.getpid()) - tree
        accepted = sum(1 for item in applied.items if item.get("result") == "accepted")
        statement, entries = _camt053(number, paid)
        tree = process_tree_cpu_seconds(os.getpid())
        cpu, started = time.process_time(), time.perf_counter()
        imported = statements_in.import_statement(uow_factory(), principal=principal, xml=statement)
        camt053_seconds = time.perf_counter() - started
        camt053_cpu = time.process_time() - cpu
        tree = process_tree_cpu_seconds(os.getpid()) - tree
        wait_for_background_work()
        started = time.perf_counter()
        camt053.parse(statement)
        parse_seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return Run(
        pain002_seconds=pain002_seconds,
        pain002_cpu_seconds=pain002_cpu,
        pain002_tree_cpu_seconds=pain002_tree,
        pain002_accepted=accepted,
        camt053_seconds=camt053_seconds,
        camt053_cpu_seconds=camt053_cpu,
        camt053_tree_cpu_seconds=tree,
        camt053_parse_seconds=parse_seconds,
        camt053_bytes=len(statement),
        camt053_entries=entries,
        camt053_matched=len(imported.matched),
    )


def _document(run: Run | None) -> dict[str, object] | None:
    if run is None:
        return None
    return {
        "pain002_seconds": round(run.pain002_seconds, 2),
        "pain002_cpu_seconds": round(run.pain002_cpu_seconds, 2),
        "pain002_cpu_seconds_with_validation_worker": round(run.pain002_tree_cpu_seconds, 2),
        "pain002_lines": PAIN002_LINES,
        "pain002_accepted": run.pain002_accepted,
        "camt053_seconds": round(run.camt053_seconds, 2),
        "camt053_cpu_seconds": round(run.camt053_cpu_seconds, 2),
        "camt053_cpu_seconds_with_validation_worker": round(run.camt053_tree_cpu_seconds, 2),
        "camt053_parse_seconds": round(run.camt053_parse_seconds, 2),
        "camt053_bytes": run.camt053_bytes,
        "camt053_entries": run.camt053_entries,
        "camt053_matched": run.camt053_matched,
    }


def main() -> None:
    """Measure on SQLite and (when configured) PostgreSQL; print one JSON line."""
    trap_float_operations()
    parser = argparse.ArgumentParser()
    parser.add_argument("--matched", type=int, default=500)
    args = parser.parse_args()
    started, load_at_start = time.perf_counter(), load_average()
    concurrent.futures.wait(bank_file_schemas.warm())  # as the API process does at start
    warmup_seconds = time.perf_counter() - started
    with sqlite_database() as url:
        sqlite = measure(url, args.matched)
    log(f"bank_files: sqlite {_document(sqlite)}")
    postgres: Run | None = None
    base = postgres_url()
    if base is not None:
        with postgres_database(base, "bench_bank_files") as url:
            postgres = measure(url, args.matched)
        log(f"bank_files: postgresql {_document(postgres)}")
    else:
        log("bank_files: TREASURY_BENCH_POSTGRES_URL not set; PostgreSQL skipped")
    runs = [run for run in (sqlite, postgres) if run is not None]
    print(
        json.dumps(
            {
                "benchmark": "bank_files",
                "sqlite": _document(sqlite),
                "postgresql": _document(postgres),
                "target_seconds": TARGET_S,
                "schema_warmup_seconds": round(warmup_seconds, 2),
                "meets_target": all(
                    run.pain002_seconds <= TARGET_S and run.camt053_seconds <= TARGET_S
                    for run in runs
                ),
                "total_seconds": round(time.perf_counter() - started, 1),
                "load_average_1m": [load_at_start, load_average()],
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
