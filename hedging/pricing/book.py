"""A whole book priced at once: forwards and European options as numpy columns per pair and
date (Black on forwards), everything else through the single-trade engines; a sample agrees
with the full engine."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import QuantLib as ql

from hedging.dates import ValueDates
from hedging.instruments import instrument_from_document
from hedging.model import (
    Combination,
    Direction,
    ExerciseStyle,
    FlatMarket,
    Forward,
    Instrument,
    MarketSnapshot,
    Option,
    OptionType,
    Pair,
)
from hedging.pricing.markets import PairMarket, market_for_pair
from hedging.pricing.quantlib import MINOR_UNIT_SCALE, QUANTLIB_LOCK, ql_date
from hedging.pricing.reference import reference_european_npv, reference_forward_npv
from hedging.pricing.trades import price_on
from treasury.errors import InstrumentExpired
from treasury.money import Currency, Money


class VanillaColumns(NamedTuple):
    """A forward (`option_type` None) or a European option delivering at expiry, as columns (a
    named tuple: one per hedge in a revaluation)."""

    pair: str
    last: date
    direction: str
    notional_minor: int
    currency: str
    strike: Decimal
    option_type: str | None

    def instrument(self) -> Forward | Option:
        """The instrument these columns describe."""
        pair, side = Pair.parse(self.pair), Direction(self.direction)
        notional = Money.from_minor(self.notional_minor, self.currency)
        if self.option_type is None:
            return Forward(pair, side, notional, self.strike, self.last)
        return Option(pair, OptionType(self.option_type), side, notional, self.strike, self.last)


@dataclass(frozen=True)
class BookTrade:
    """A trade of a book: its id and instrument, its stored document, or its columns."""

    id: str
    instrument: Instrument | None = None
    document: dict[str, Any] | None = None
    columns: VanillaColumns | None = None

    def resolved(self) -> Instrument:
        """The instrument, built from the document or columns when not given."""
        if self.instrument is not None:
            return self.instrument
        if self.columns is not None:
            return self.columns.instrument()
        assert self.document is not None
        return instrument_from_document(self.document)


@dataclass(frozen=True)
class BookValues:
    """NPVs (quote currency, exact) and forward rates of a book, in the order given."""

    npv: list[Decimal]
    forward_rate: list[float]
    sample_size: int
    sample_max_difference: Decimal


@dataclass
class _Vanilla:
    """Forwards and European options of one pair as columns."""

    rows: list[int] = field(default_factory=list)  # a combination's row twice, legs in turn
    second: list[bool] = field(default_factory=list)  # a combination's second leg
    is_option: list[bool] = field(default_factory=list)
    notional: list[float] = field(default_factory=list)  # signed: the holder's side
    strike: list[float] = field(default_factory=list)
    last: list[date] = field(default_factory=list)  # delivery of a forward, expiry of an option
    call: list[bool] = field(default_factory=list)


Leg = tuple[bool, float, float, bool]  # is an option, signed notional, strike, is a call


def _columns(trade: BookTrade) -> tuple[str, date, list[Leg] | None]:
    """(pair, last date, vanilla legs or None) without building the instrument if possible: a
    forward or European option is one leg, a combination of two European options two."""
    given = trade.columns
    if given is not None:
        sign = 1.0 if given.direction == "buy" else -1.0
        notional = (
            sign * given.notional_minor / MINOR_UNIT_SCALE[Currency.of(given.currency).minor_units]
        )
        is_option = given.option_type is not None
        call = given.option_type == "call"
        return given.pair, given.last, [(is_option, notional, float(given.strike), call)]
    document = trade.document
    if document is not None:
        kind = document["type"]
        if kind == "forward":
            sign = 1.0 if document["direction"] == "buy" else -1.0
            last = date.fromisoformat(document["delivery_date"])
            notional = sign * float(document["notional"]["amount"])
            return document["pair"], last, [(False, notional, float(document["strike"]), False)]
        parts = document["legs"] if kind == "combination" else [document]
        legs = [_document_option(part) for part in parts]
        if all(legs) and len({part["expiry_date"] for part in parts}) == 1:
            last = date.fromisoformat(parts[0]["expiry_date"])
            return parts[0]["pair"], last, [leg for leg in legs if leg is not None]
    instrument = trade.resolved()
    return instrument.pair.code, instrument.last_date, _legs(instrument)


def _document_option(document: dict[str, Any]) -> Leg | None:
    """A European option delivering at expiry, from its document (else None)."""
    if (
        document.get("type", "option") != "option"
        or document.get("style", "european") != "european"
        or document.get("delivery_date")
    ):
        return None
    sign = 1.0 if document["direction"] == "buy" else -1.0
    notional = sign * float(document["notional"]["amount"])
    return (True, notional, float(document["strike"]), document["option_type"] == "call")


def _legs(instrument: Instrument) -> list[Leg] | None:
    if isinstance(instrument, Combination):
        legs = [_legs(leg) for leg in instrument.legs]
        return None if None in legs else [leg[0] for leg in legs if leg is not None]
    notional = instrument.direction.sign * float(instrument.notional.amount)
    if isinstance(instrument, Forward):
        return [(False, notional, float(instrument.strike), False)]
    if (
        isinstance(instrument, Option)
        and instrument.style is ExerciseStyle.EUROPEAN
        and instrument.delivery_date is None
    ):
        call = instrument.option_type is OptionType.CALL
        return [(True, notional, float(instrument.strike), call)]
    return None


def price_book(
    trades: list[BookTrade],
    market: FlatMarket | MarketSnapshot,
    as_of: date,
    *,
    dates: ValueDates | None = None,
    sample_every: int | None = 100,
) -> BookValues:
    """Value a book pair by pair: QuantLib gives discount factors at the unique dates and vols at
    the unique (expiry, strike); numpy does covered interest parity and Black on all forwards and
    European options at once; other trades go one by one through `price_on`. Every
    `sample_every`-th trade (None: no sample) is re-priced alone through the full QuantLib
    engine (QuantLib's own `FxForward` / `AnalyticEuropeanEngine` on the inline market) and must
    agree within 1e-10 relative or 1e-6 of notional.

    Raises:
        InstrumentExpired: a trade whose last date is not after `as_of`.
        MarketDataMissing: the market lacks what a trade needs.
        RuntimeError: the sample check failed (a pricing defect, never silently ignored).
    """
    npv: list[Decimal] = [Decimal(0)] * len(trades)
    forwards: list[float] = [0.0] * len(trades)
    vanilla, others = _group(trades, as_of)
    checked, worst = 0, Decimal(0)
    with QUANTLIB_LOCK:
        ql.Settings.instance().evaluationDate = ql_date(as_of)
        for pair_code in sorted(set(vanilla) | set(others)):
            pair_market = market_for_pair(market, Pair.parse(pair_code), as_of, dates)
            priced = vanilla.get(pair_code)
            if priced is not None:
                values, outrights = _vectorised(priced, pair_market)
                previous = 0.0
                for row, value, outright, second in zip(
                    priced.rows, values.tolist(), outrights.tolist(), priced.second, strict=True
                ):
                    if second:  # a combination's legs follow each other: the whole is their sum
                        value += previous
                    previous = value
                    npv[row] = Decimal(repr(value))
                    forwards[row] = outright
            for row in others.get(pair_code, []):
                result = price_on(trades[row].resolved(), pair_market, with_greeks=False)
                npv[row] = result.npv_exact
                forwards[row] = float(result.forward_rate)
            rows = [*dict.fromkeys(priced.rows if priced else []), *others.get(pair_code, [])]
            sampled = [] if sample_every is None else sorted(rows)[:: max(sample_every, 1)]
            for row in sampled:
                instrument = trades[row].resolved()
                reference = _full_engine(instrument, market, pair_market, as_of)
                worst = max(worst, _agree(trades[row].id, instrument, reference, npv[row]))
                checked += 1
    return BookValues(npv, forwards, checked, worst)


def _group(
    trades: list[BookTrade], as_of: date
) -> tuple[dict[str, _Vanilla], dict[str, list[int]]]:
    """Per pair: the vanilla legs as columns, and the rows of the other trades."""
    vanilla: dict[str, _Vanilla] = {}
    others: dict[str, list[int]] = {}
    for index, trade in enumerate(trades):
        pair, last, legs = _columns(trade)
        if last <= as_of:
            raise InstrumentExpired(f"trade {trade.id} ended on {last}")
        if legs is None:
            others.setdefault(pair, []).append(index)
            continue
        group = vanilla.setdefault(pair, _Vanilla())
        for number, (is_option, notional, strike, call) in enumerate(legs):
            group.rows.append(index)
            group.second.append(number > 0)
            group.last.append(last)
            group.is_option.append(is_option)
            group.notional.append(notional)
            group.strike.append(strike)
            group.call.append(call)
    return vanilla, others


def _agree(trade_id: str, instrument: Instrument, reference: Decimal, value: Decimal) -> Decimal:
    difference = abs(reference - value)
    notional = instrument.notional.amount
    if difference > max(abs(reference) * Decimal("1E-10"), notional * Decimal("1E-6")):
        raise RuntimeError(
            f"book pricing disagrees with QuantLib on trade {trade_id}: {value} against {reference}"
        )
    return difference


def _vectorised(group: _Vanilla, market: PairMarket) -> tuple[Any, Any]:
    """Forwards and European options of one pair, priced together."""
    settle: dict[date, date] = {}
    deliveries = []
    for last, is_option in zip(group.last, group.is_option, strict=True):
        if is_option:
            if last not in settle:
                settle[last] = market.settle_date(last)
            deliveries.append(settle[last])
        else:
            deliveries.append(last)
    unique_dates = set(deliveries)
    df_d = {d: market.df_domestic(d) for d in unique_dates}
    df_f = {d: market.df_foreign(d) for d in unique_dates}
    disc = np.array([df_d[d] for d in deliveries])
    forward = market.spot * np.array([df_f[d] for d in deliveries]) / disc
    strike = np.array(group.strike)
    values = (forward - strike) * disc  # the forwards
    options = [k for k, is_option in enumerate(group.is_option) if is_option]
    if options:
        vols: dict[tuple[date, float], float] = {}
        years: dict[date, float] = {}
        sigma, time, omega = [], [], []
        for k in options:
            key = (group.last[k], group.strike[k])
            if key not in vols:
                vols[key] = market.vol(*key)
            if key[0] not in years:
                years[key[0]] = market.years(key[0])
            sigma.append(vols[key])
            time.append(years[key[0]])
            omega.append(1.0 if group.call[k] else -1.0)
        rows = np.array(options)
        values[rows] = _black_numpy(
            forward[rows],
            strike[rows],
            np.array(sigma),
            np.array(time),
            disc[rows],
            np.array(omega),
        )
    return np.array(group.notional) * values, forward


def _black_numpy(forward: Any, strike: Any, sigma: Any, years: Any, disc: Any, omega: Any) -> Any:
    std = sigma * np.sqrt(np.maximum(years, 0.0))
    safe = np.where(std > 0, std, 1.0)
    d1 = (np.log(forward / strike) + 0.5 * safe * safe) / safe
    d2 = d1 - safe
    cdf = np.frompyfunc(lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)), 1, 1)
    priced = (
        disc
        * omega
        * (forward * cdf(omega * d1).astype(float) - strike * cdf(omega * d2).astype(float))
    )
    intrinsic = disc * np.maximum(omega * (forward - strike), 0.0)
    return np.where(std > 0, priced, intrinsic)


def _full_engine(
    instrument: Instrument, market: FlatMarket | MarketSnapshot, built: PairMarket, as_of: date
) -> Decimal:
    """The trade alone through QuantLib's engines (inline market) or `price_on` on the market;
    a combination leg by leg."""
    if isinstance(instrument, Combination):
        return sum((_full_engine(leg, market, built, as_of) for leg in instrument.legs), Decimal(0))
    if isinstance(market, FlatMarket):
        if isinstance(instrument, Forward):
            return reference_forward_npv(instrument, market, as_of)
        if (
            isinstance(instrument, Option)
            and instrument.style is ExerciseStyle.EUROPEAN
            and instrument.delivery_date in (None, instrument.expiry_date)
        ):
            return reference_european_npv(instrument, market, as_of)
    return price_on(instrument, built, with_greeks=False).npv_exact
