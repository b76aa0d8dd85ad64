"""Routing throughput: quotes per second in-process over a mixed set of corridors.

Measured on the seeded reference data (a migrated SQLite database), for the onshore-origin mix
(`corridor_mix`) and for the offshore-origin one (`offshore_mix`: Hong Kong and Singapore banks
paying the mainland, each other and inside Hong Kong, and a non-house onshore bank paying abroad,
over the generic rails):
- `quotes_per_s`: the pure router (`routing.decide`) on the reference and calendars as loaded
  once — the cost of a decision itself (no QuantLib object is created per quote: business days
  are precomputed sets);
- `quotes_per_s_with_reference_lookup`: the same, with the reference fetched from the
  settlement cache for every quote, as the transfer pipeline does.

Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from treasury.db import migrate
from treasury.db.engine import build_engine
from treasury.money import Money, trap_float_operations
from treasury.settlement import cache as settlement_cache
from treasury.settlement import routing
from treasury.settlement.model import DecisionStatus, RouteDecision, RouteRequest

QUOTES = 20_000
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 26)


def corridor_mix() -> list[RouteRequest]:
    """CIPS to Germany, Hong Kong and Singapore, the HK clearing bank, USD and EUR over SWIFT,
    onshore HVPS and BEPS, a book transfer, submissions after the cut-off and before holidays."""

    def request(
        amount: str, currency: str, bic: str, when: datetime, **fields: object
    ) -> RouteRequest:
        return RouteRequest(
            amount=Money.of(amount, currency),
            debtor_bank_bic=str(fields.get("debtor", "HBKACNSH")),
            debtor_resident=True,
            creditor_bank_bic=bic,
            creditor_country=bic[4:6],
            creditor_resident=bic[4:6] == "CN",
            submitted_at=when,
            internal=bool(fields.get("internal", False)),
        )

    def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)

    return [
        request("5000000.00", "CNY", "DEUTDEFF", at(2026, 3, 10, 10, 0)),
        request("800000.00", "CNY", "DSBAHKHH", at(2026, 4, 8, 15, 0)),
        request("20000000.00", "CNY", "DBSSSGSG", at(2026, 3, 10, 11, 0)),
        request("50000000.00", "CNY", "HSBCHKHH", at(2026, 9, 30, 17, 20)),
        request("300000.00", "USD", "CHASUS33", at(2026, 2, 14, 10, 0)),
        request("250000.00", "EUR", "BNPAFRPP", at(2026, 4, 3, 10, 0)),
        request("1000000.00", "CNY", "COBADEFF", at(2026, 11, 26, 16, 45)),
        request("2000000.00", "CNY", "ICBKCNBJ", at(2026, 11, 26, 10, 0)),
        request("20000.00", "CNY", "ICBKCNBJ", at(2026, 11, 27, 9, 0)),
        request("100.00", "CNY", "HBKACNSH", at(2026, 11, 26, 10, 0), internal=True),
    ]


def offshore_mix() -> list[RouteRequest]:
    """Payments that start outside the mainland or at a bank with no house-bank rails."""

    def request(amount: str, currency: str, debtor: str, creditor: str) -> RouteRequest:
        return RouteRequest(
            amount=Money.of(amount, currency),
            debtor_bank_bic=debtor,
            debtor_resident=debtor[4:6] == "CN",
            creditor_bank_bic=creditor,
            creditor_country=creditor[4:6],
            creditor_resident=creditor[4:6] == "CN",
            submitted_at=datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI),
        )

    return [
        request("1000000.00", "CNY", "BKCHHKHH", "BKCHCNBJ"),  # BOCHK into the mainland, CIPS
        request("1000000.00", "CNY", "HSBCHKHH", "ICBKCNBJ"),  # an IP through its DP
        request("1000000.00", "CNY", "DSBAHKHH", "ICBKCNBJ"),  # via the HK clearing bank
        request("1000000.00", "CNY", "BKCHHKHH", "HSBCHKHH"),  # RMB CHATS
        request("100000.00", "HKD", "BKCHHKHH", "HSBCHKHH"),  # HKD CHATS
        request("100000.00", "USD", "BKCHHKHH", "HSBCHKHH"),  # USD CHATS
        request("100000.00", "USD", "BKCHHKHH", "DBSSSGSG"),  # SWIFT from Hong Kong
        request("100000.00", "USD", "DBSSSGSG", "BKCHCNBJ"),  # SWIFT into the mainland
        request("5000000.00", "CNY", "ICBKCNBJ", "DEUTDEFF"),  # non-house onshore bank, CIPS
        request("100000.00", "USD", "BKCHCNBJ", "ICBKCNBJ"),  # onshore FX, CFXPS
    ]


def _rate(
    quotes: list[RouteRequest], decide: Callable[[RouteRequest], RouteDecision]
) -> tuple[float, float, int]:
    """Quotes per wall-clock second, per CPU second of this process, and how many routed.

    The machine is shared: the CPU-time rate is the one that does not depend on the neighbours.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    routed = 0
    for index in range(QUOTES):
        decision = decide(quotes[index % len(quotes)])
        routed += decision.status is DecisionStatus.ROUTED
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return QUOTES / wall, QUOTES / cpu, routed


def main() -> None:
    """Measure and print one JSON line."""
    trap_float_operations()
    quotes = corridor_mix()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        migrate.upgrade(url)
        engine = build_engine(url, pool_size=1)
        with Session(engine) as session:
            started = time.perf_counter()
            calendars = settlement_cache.calendars(session, TODAY)
            reference = settlement_cache.reference(
                session, TODAY, {"CNY", "USD", "EUR", "HKD", "SGD"}
            )
            for code in ("CN_IB", "HK", "US_FED", "TARGET", "SG", "UK"):
                calendars.is_business_day(code, TODAY)  # build the tables before timing
            load_seconds = time.perf_counter() - started
            pure, pure_cpu, routed = _rate(
                quotes, lambda q: routing.decide(q, reference, calendars)
            )
            offshore, offshore_cpu, offshore_routed = _rate(
                offshore_mix(), lambda q: routing.decide(q, reference, calendars)
            )
            looked_up, looked_up_cpu, _ = _rate(
                quotes,
                lambda q: routing.decide(
                    q,
                    settlement_cache.reference(session, TODAY, {q.amount.currency.code}),
                    settlement_cache.calendars(session, TODAY),
                ),
            )
        engine.dispose()
    print(
        json.dumps(
            {
                "benchmark": "routing",
                "quotes": QUOTES,
                "corridors": len(quotes),
                "routed_share": round(routed / QUOTES, 3),
                "quotes_per_s": round(pure),
                "quotes_per_cpu_s": round(pure_cpu),
                "offshore_origin_corridors": len(offshore_mix()),
                "offshore_origin_routed_share": round(offshore_routed / QUOTES, 3),
                "offshore_origin_quotes_per_s": round(offshore),
                "offshore_origin_quotes_per_cpu_s": round(offshore_cpu),
                "quotes_per_s_with_reference_lookup": round(looked_up),
                "quotes_per_cpu_s_with_reference_lookup": round(looked_up_cpu),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "target_quotes_per_s": 5000,
                "reference_and_calendar_build_s": round(load_seconds, 3),
                "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, "
                f"{platform.platform()}",
            }
        )
    )


if __name__ == "__main__":
    main()
