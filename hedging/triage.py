"""A revaluation's triage: the deals it can value, and the ones it sets aside with the reason.

Rows stored before the bounds at the door (`treasury.bounds`) may hold a strike of 1E+30 or a
document that no longer reads; a pricing step may fail on one deal alone. Each such deal is set
aside — the run values every other deal, is stored as `partial` and records what it set aside —
instead of failing the tenant's whole book every night. A market-data gap is not one deal's fault:
`MarketDataMissing` still stops the run (422), so that the date is revalued once the data is in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from hedging import pricing
from hedging.dates import ValueDates
from hedging.instruments import instrument_from_document
from hedging.model import Instrument, MarketSnapshot
from hedging.repository import BookRow
from treasury.bounds import check_fx_rate
from treasury.errors import MarketDataMissing, TreasuryError
from treasury.failures import describe
from treasury.money import MAX_AMOUNT_MINOR


def storable_minor(amount: Decimal) -> int | None:
    """`amount` in CNY minor units, rounded half-even; None when no ledger amount could hold it."""
    if not amount.is_finite() or abs(amount).scaleb(2) > MAX_AMOUNT_MINOR:
        return None
    return int(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN).scaleb(2))


_UNSEEN = object()


@dataclass
class Triage:
    """The deals set aside so far (hedge id → reason), and the strikes already checked."""

    reasons: dict[str, str] = field(default_factory=dict)
    _strikes: dict[Any, object] = field(default_factory=dict)

    def set_aside(self, hedge_id: str, reason: str) -> None:
        """Set a deal aside (the first reason found is kept)."""
        self.reasons.setdefault(hedge_id, reason)

    def instruments(self, documents: Mapping[str, str]) -> dict[str, Instrument]:
        """The stored documents read back (and checked as at booking); the unreadable set aside."""
        found: dict[str, Instrument] = {}
        for hedge_id, text in documents.items():
            try:
                found[hedge_id] = instrument_from_document(json.loads(text))
            except Exception as error:  # stored data: whatever it holds, one deal only
                self.set_aside(hedge_id, describe(error))
        return found

    def usable(
        self, rows: Iterable[BookRow], instruments: Mapping[str, Instrument], needed: Set[str]
    ) -> list[BookRow]:
        """The deals that can be valued: columns in range and, when `needed`, the document read;
        the others set aside. (One pass of plain lookups: a revaluation screens 100k deals.)"""
        strikes, reasons, kept = self._strikes, self.reasons, []
        for row in rows:
            if row.id in needed and row.id not in instruments:
                self.set_aside(row.id, reasons.get(row.id, "its stored document is missing"))
                continue
            if row.vanilla:
                try:  # a book of 100k deals has a few thousand strikes: each checked once
                    found = strikes.get(row.strike, _UNSEEN)
                    if found is _UNSEEN:
                        found = strikes[row.strike] = self._strike_reason(row.strike)
                except TypeError:  # a signalling NaN has no hash
                    found = self._strike_reason(row.strike)
                if (
                    found is None
                    and not -MAX_AMOUNT_MINOR <= row.notional_minor <= MAX_AMOUNT_MINOR
                ):
                    found = f"notional {row.notional_minor} minor units is beyond any amount"
                if found is not None:
                    self.set_aside(row.id, str(found))
                    continue
            kept.append(row)
        return kept

    @staticmethod
    def _strike_reason(strike: Any) -> str | None:
        if not isinstance(strike, Decimal):
            return f"stored strike {strike!r} is not a decimal"
        try:
            check_fx_rate(strike, "strike")
        except TreasuryError as error:
            return describe(error)
        return None


def price_apart(
    trades: list[pricing.BookTrade],
    market: MarketSnapshot,
    dates: ValueDates,
    triage: Triage,
    *,
    sample_every: int | None = 100,
) -> dict[str, tuple[Decimal, float]]:
    """NPV and forward of each trade, the book priced at once; when that fails, halves are priced
    apart until each failing trade is alone and set aside (k bad deals of n cost k·log n tries).

    Raises:
        MarketDataMissing: the market lacks what a trade needs (the run cannot be complete).
    """
    values: dict[str, tuple[Decimal, float]] = {}
    _price_part(trades, market, dates, triage, values, sample_every)
    return values


def _price_part(
    trades: list[pricing.BookTrade],
    market: MarketSnapshot,
    dates: ValueDates,
    triage: Triage,
    values: dict[str, tuple[Decimal, float]],
    sample_every: int | None,
) -> None:
    if not trades:
        return
    on: date = market.as_of
    try:
        book = pricing.price_book(trades, market, on, dates=dates, sample_every=sample_every)
    except MarketDataMissing:
        raise
    except Exception as error:  # one deal's failure must not take the others with it
        if len(trades) == 1:
            triage.set_aside(trades[0].id, describe(error))
            return
        middle = len(trades) // 2
        _price_part(trades[:middle], market, dates, triage, values, sample_every)
        _price_part(trades[middle:], market, dates, triage, values, sample_every)
        return
    for trade, npv, forward in zip(trades, book.npv, book.forward_rate, strict=True):
        values[trade.id] = (npv, forward)
