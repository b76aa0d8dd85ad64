"""Revaluation of a hedge book: 100,000 hedges (60 % forwards, 30 % European options, 10 % option
combinations — zero-premium-style collars of a bought put and a sold call) end to end —
load, price, store, post — on SQLite and PostgreSQL, and the pricing step alone against a plain
per-trade QuantLib loop that rebuilds everything for each trade, in the same run.

`--hedges N` scales the book down on a loaded machine (the default is the issue's size).
The PostgreSQL half runs when TREASURY_BENCH_POSTGRES_URL is set. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert

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
from hedging import pricing
from hedging.dates import ValueDates
from hedging.instruments import instrument_from_document, pricing_columns
from hedging.market_data import snapshot_from_document
from hedging.model import Combination, FlatMarket, Forward, Option
from hedging.service import markets as service
from hedging.service import revaluation
from hedging.tables import ExposureRow, HedgeRow
from treasury.accounts import service as accounts_service
from treasury.accounts.model import AccountKind
from treasury.calendars import default_calendars
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money, trap_float_operations

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
ENTITIES = 10
PER_EXPOSURE = 100
PLAIN_LOOP_SAMPLE = 5_000
SNAPSHOT: dict[str, Any] = {
    "as_of": AS_OF.isoformat(),
    "spots": {"USDCNY": "7.0850"},
    "curves": {
        "USD": [
            {"tenor": "1M", "rate": "0.0410"},
            {"tenor": "3M", "rate": "0.0405"},
            {"tenor": "6M", "rate": "0.0400"},
            {"tenor": "1Y", "rate": "0.0390"},
        ],
        "CNY": [{"tenor": "1M", "rate": "0.0160"}, {"tenor": "1Y", "rate": "0.0150"}],
    },
    "swap_points": {
        "USDCNY": [
            {"tenor": "1M", "points": "-0.0160"},
            {"tenor": "3M", "points": "-0.0460"},
            {"tenor": "6M", "points": "-0.0900"},
            {"tenor": "1Y", "points": "-0.1700"},
        ]
    },
    "vols": {
        "USDCNY": [
            {"tenor": "1M", "atm": "0.045", "rr25": "0.004", "bf25": "0.002"},
            {"tenor": "6M", "atm": "0.048", "rr25": "0.005", "bf25": "0.0025"},
            {"tenor": "1Y", "atm": "0.050", "rr25": "0.006", "bf25": "0.003"},
        ]
    },
}


def collar(notional: dict[str, str], put: int, call: int, expiry: date) -> dict[str, Any]:
    """A bought USD put and a sold USD call (strikes in 1/1000), one expiry and notional."""
    legs = [
        {
            "type": "option",
            "pair": "USDCNY",
            "option_type": kind,
            "direction": side,
            "notional": notional,
            "strike": f"{strike / 1000:.4f}",
            "expiry_date": expiry.isoformat(),
            "delivery_date": None,
            "style": "european",
        }
        for kind, side, strike in (("put", "buy", put), ("call", "sell", call))
    ]
    return {"type": "combination", "legs": legs}


def instrument_documents(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """A book: 60 % forwards selling USD, 30 % bought USD puts, 10 % collars, maturities up to a
    year."""
    rng = random.Random(seed)
    documents: list[dict[str, Any]] = []
    for index in range(count):
        last = AS_OF + timedelta(days=rng.randint(7, 360))
        notional = {"amount": f"{rng.randint(1, 500) * 1000}.00", "currency": "USD"}
        strike = f"{rng.randint(6800, 7400) / 1000:.4f}"
        if index % 10 == 9:
            put = rng.randint(6800, 7100)
            documents.append(collar(notional, put, put + rng.randint(50, 300), last))
        elif index % 10 < 6:
            documents.append(
                {
                    "type": "forward",
                    "pair": "USDCNY",
                    "direction": "sell",
                    "notional": notional,
                    "strike": strike,
                    "delivery_date": last.isoformat(),
                }
            )
        else:
            documents.append(
                {
                    "type": "option",
                    "pair": "USDCNY",
                    "option_type": "put",
                    "direction": "buy",
                    "notional": notional,
                    "strike": strike,
                    "expiry_date": last.isoformat(),
                    "delivery_date": None,
                    "style": "european",
                }
            )
    return documents


def notional_minor(document: dict[str, Any]) -> int:
    """A document's notional in cents (a combination's: its legs' larger)."""
    legs = document.get("legs") or [document]
    return max(int(Decimal(leg["notional"]["amount"]) * 100) for leg in legs)


def pricing_alone(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The batch pricer against rebuilding QuantLib objects for every trade, same market."""
    # As revaluation reads them: the stored documents, parsed only where a trade needs it.
    trades = [pricing.BookTrade(str(i), document=d) for i, d in enumerate(documents)]
    flat = FlatMarket(Decimal("7.0850"), Decimal("0.0150"), Decimal("0.0400"), Decimal("0.05"))
    started = time.perf_counter()
    pricing.price_book(trades, flat, AS_OF, sample_every=None)
    batch_flat = time.perf_counter() - started
    started = time.perf_counter()
    flat_book = pricing.price_book(trades, flat, AS_OF, sample_every=100)
    batch_flat_checked = time.perf_counter() - started
    sample = trades[:: max(1, len(trades) // PLAIN_LOOP_SAMPLE)][:PLAIN_LOOP_SAMPLE]
    instruments = [trade.resolved() for trade in sample]
    started = time.perf_counter()
    for instrument in instruments:
        if isinstance(instrument, Forward):
            pricing.reference_forward_npv(instrument, flat, AS_OF)
        elif isinstance(instrument, Combination):
            for leg in instrument.legs:
                pricing.reference_european_npv(leg, flat, AS_OF)
        else:
            pricing.reference_european_npv(cast(Option, instrument), flat, AS_OF)
    plain_per_trade = (time.perf_counter() - started) / len(sample)
    snapshot = snapshot_from_document(SNAPSHOT)
    dates = ValueDates(default_calendars())
    dates.spot_date(trades[0].resolved().pair, AS_OF)  # calendars built before the clock starts
    started = time.perf_counter()
    snapshot_book = pricing.price_book(trades, snapshot, AS_OF, dates=dates, sample_every=100)
    batch_snapshot = time.perf_counter() - started
    return {
        "pricing_batch_flat_s": round(batch_flat, 3),
        "pricing_batch_flat_with_1pct_check_s": round(batch_flat_checked, 3),
        "pricing_batch_snapshot_s": round(batch_snapshot, 3),
        "plain_loop_us_per_trade": round(plain_per_trade * 1e6, 1),
        "plain_loop_extrapolated_s": round(plain_per_trade * len(trades), 3),
        "pricing_speedup_vs_plain_loop": round(plain_per_trade * len(trades) / batch_flat, 1),
        "sample_checked_flat": flat_book.sample_size,
        "sample_max_abs_diff_flat": float(flat_book.sample_max_difference),
        "sample_checked_snapshot": snapshot_book.sample_size,
        "sample_max_abs_diff_snapshot": float(snapshot_book.sample_max_difference),
    }


def load_book(uow_factory: UnitOfWorkFactory, documents: list[dict[str, Any]]) -> str:
    """A tenant with `ENTITIES` entities, their exposures and hedges, inserted in bulk."""
    ledger = make_ledger(
        uow_factory, accounts=1, funding=Money.of("100000000.00", "CNY"), funded_on=AS_OF
    )
    entities: list[tuple[str, str]] = []
    for number in range(ENTITIES):
        entity = accounts_service.create_entity(
            uow_factory(),
            tenant_id=ledger.tenant_id,
            fields={"code": f"E{number}", "name": f"Plant {number}", "country": "CN"},
            actor="bench",
        )
        account = accounts_service.open_bank_account(
            uow_factory(),
            tenant_id=ledger.tenant_id,
            entity_id=entity.id,
            kind=AccountKind.CURRENT,
            currency="CNY",
            bank_bic="BKCHCNBJ",
            number=f"P{number:04d}",
            overdraft_limit=None,
            actor="bench",
        )
        entities.append((entity.id, account.id))
    exposures, hedges = [], []
    for start in range(0, len(documents), PER_EXPOSURE):
        entity_id, account_id = entities[(start // PER_EXPOSURE) % ENTITIES]
        exposure_id = str(uuid.uuid4())
        chunk = documents[start : start + PER_EXPOSURE]
        exposures.append(
            {
                "id": exposure_id,
                "tenant_id": ledger.tenant_id,
                "entity_id": entity_id,
                "pair": "USDCNY",
                "direction": "receive",
                "amount_minor": sum(notional_minor(document) for document in chunk),
                "currency": "USD",
                "expected_date": AS_OF + timedelta(days=365),
                "description": "bench",
                "created_at": NOW,
            }
        )
        for document in chunk:
            hedges.append(
                hedge_row(document, ledger.tenant_id, (entity_id, account_id), exposure_id)
            )
    with uow_factory() as uow:
        connection = uow.session.connection()
        connection.execute(insert(cast(Table, ExposureRow.__table__)), exposures)
        for start in range(0, len(hedges), 10_000):
            connection.execute(
                insert(cast(Table, HedgeRow.__table__)), hedges[start : start + 10_000]
            )
        uow.commit()
    service.add_snapshot(
        uow_factory(), tenant_id=ledger.tenant_id, document=SNAPSHOT, actor="bench"
    )
    return ledger.tenant_id


def hedge_row(
    document: dict[str, Any], tenant_id: str, owner: tuple[str, str], exposure_id: str
) -> dict[str, Any]:
    """A hedge row as booking writes it (a combination's notional is its maximum delivery)."""
    instrument = instrument_from_document(document)
    delivery = (
        instrument.max_delivery if isinstance(instrument, Combination) else instrument.notional
    )
    entity_id, account_id = owner
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "entity_id": entity_id,
        "exposure_id": exposure_id,
        "trade_date": AS_OF - timedelta(days=1),
        "instrument_type": document["type"],
        "pair": "USDCNY",
        "notional_minor": delivery.minor,
        "notional_currency": "USD",
        "instrument_json": json.dumps(document, sort_keys=True),
        **pricing_columns(instrument),
        "last_date": instrument.last_date,
        "designation": "none",
        "locked_rate": None,
        "status": "live",
        "closed_date": None,
        "change_of_underlying_ref": None,
        "settlement_account_id": account_id,
        "created_at": NOW,
    }


def end_to_end(url: str, documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Migrate, load the book (not timed), then time one revaluation run."""
    migrate.upgrade(url)
    engine = build_engine(url, pool_size=2)
    try:
        uow_factory = UnitOfWorkFactory(engine, FixedClock(NOW))
        tenant_id = load_book(uow_factory, documents)
        log(f"{engine.dialect.name}: {len(documents)} hedges loaded; revaluing")
        stages: dict[str, float] = {}
        cpu_started = time.process_time()
        started = time.perf_counter()

        def progress(stage: str, _done: int, _total: int) -> None:
            stages[stage] = round(time.perf_counter() - started, 3)

        run = revaluation.revalue(
            uow_factory(), tenant_id=tenant_id, as_of=AS_OF, progress=progress
        )
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        started = time.perf_counter()
        again = revaluation.revalue(uow_factory(), tenant_id=tenant_id, as_of=AS_OF)
        rerun = time.perf_counter() - started
        assert again.replayed
        assert again.id == run.id
        return {
            "seconds": round(elapsed, 3),
            "client_cpu_seconds": round(cpu, 3),
            "hedges_per_s": round(run.count / elapsed),
            "stages_s": stages,
            "npv_total_cny": run.npv_total.to_wire(),
            "rerun_seconds": round(rerun, 3),
        }
    finally:
        wait_for_background_work()  # the audit sealer, before the database goes
        engine.dispose()


def main() -> None:
    """Run the measurements and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hedges", type=int, default=100_000)
    arguments = parser.parse_args()
    trap_float_operations()
    documents = instrument_documents(arguments.hedges)
    result: dict[str, Any] = {"benchmark": "revaluation", "hedges": arguments.hedges}
    result.update(pricing_alone(documents))
    with sqlite_database() as url:
        result["sqlite"] = end_to_end(url, documents)
    base = postgres_url()
    if base is not None:
        with postgres_database(base, "treasury_bench_revaluation") as url:
            result["postgresql"] = end_to_end(url, documents)
    result.update(
        {
            "target_end_to_end_s": 5.0,
            "target_pricing_speedup": 10,
            "machine": machine(),
            "load_average": load_average(),
        }
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
