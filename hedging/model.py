"""Pure FX vocabulary: pairs, markets, instruments, prices, the reserve cost, the hedge book rules.

Decimal in, Decimal out. No QuantLib, no database, no clock: `pricing` turns these values into
QuantLib objects and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from treasury.bounds import (
    check_fx_difference,
    check_fx_rate,
    check_interest_rate,
    check_volatility,
)
from treasury.errors import OptionCombinationInvalid, ValidationFailed
from treasury.money import MAX_AMOUNT_MINOR, Currency, Money, check_storable, is_currency_code

ONE_YEAR_DAYS = Decimal(365)


@dataclass(frozen=True)
class Pair:
    """A currency pair quoted as quote-currency units per one base unit (USDCNY: CNY per USD)."""

    base: str
    quote: str

    @classmethod
    def parse(cls, text: str) -> Pair:
        """'USDCNY' → Pair('USD', 'CNY'); CNH stays CNH here (it is its own market)."""
        if not isinstance(text, str) or len(text) != 6 or not text.isalpha() or not text.isupper():
            raise ValidationFailed(
                f"currency pair {text!r} must be six capital letters, e.g. USDCNY"
            )
        base, quote = text[:3], text[3:]
        if not (is_currency_code(base) and is_currency_code(quote)) or base == quote:
            raise ValidationFailed(f"currency pair {text!r} is not two different ISO 4217 codes")
        return cls(base, quote)

    @property
    def code(self) -> str:
        """'USDCNY'."""
        return f"{self.base}{self.quote}"

    @property
    def ledger_quote(self) -> str:
        """The quote currency as the ledger carries it (CNH → CNY)."""
        return "CNY" if self.quote == "CNH" else self.quote

    @property
    def ledger_base(self) -> str:
        """The base currency as the ledger carries it (CNH → CNY)."""
        return "CNY" if self.base == "CNH" else self.base


class Direction(StrEnum):
    """The holder buys or sells the base currency (an option: buys or sells the option)."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buy, −1 for sell."""
        return 1 if self is Direction.BUY else -1


class OptionType(StrEnum):
    """A call on the base currency or a put on it."""

    CALL = "call"
    PUT = "put"


class ExerciseStyle(StrEnum):
    """European (expiry only) or American (any day up to expiry)."""

    EUROPEAN = "european"
    AMERICAN = "american"


SETTLEMENTS = frozenset({"gross", "net"})


@dataclass(frozen=True)
class Forward:
    """An outright forward: `notional` of the base currency exchanged at `strike` on delivery.

    `settlement` "gross" delivers both currencies through the entity's bank accounts (a
    deliverable forward, 远期结售汇), "net" pays the difference in CNY; None: not yet decided
    (booking decides; a document stored without it settles net)."""

    pair: Pair
    direction: Direction
    notional: Money
    strike: Decimal
    delivery_date: date
    settlement: str | None = None

    @property
    def last_date(self) -> date:
        """The last date on which the instrument has value."""
        return self.delivery_date


@dataclass(frozen=True)
class Ndf:
    """A non-deliverable forward: the difference against the fixing rate, paid in one currency."""

    pair: Pair
    direction: Direction
    notional: Money
    strike: Decimal
    delivery_date: date
    fixing_date: date
    settlement_currency: str

    @property
    def last_date(self) -> date:
        """The settlement date."""
        return self.delivery_date


@dataclass(frozen=True)
class Swap:
    """An FX swap: the near leg in `direction`, the far leg the other way, same notional."""

    pair: Pair
    direction: Direction
    notional: Money
    near_date: date
    near_rate: Decimal
    far_date: date
    far_rate: Decimal
    settlement: str | None = None  # gross: both legs delivered; net: differences in CNY

    @property
    def last_date(self) -> date:
        """The far date."""
        return self.far_date


@dataclass(frozen=True)
class Option:
    """A vanilla FX option on `notional` of the base currency."""

    pair: Pair
    option_type: OptionType
    direction: Direction
    notional: Money
    strike: Decimal
    expiry_date: date
    delivery_date: date | None = None
    style: ExerciseStyle = ExerciseStyle.EUROPEAN
    # Exercised in the money: gross delivers the base at the strike through the entity's bank
    # accounts; net pays the intrinsic value in CNY (None: booking decides, as for forwards).
    settlement: str | None = None

    @property
    def last_date(self) -> date:
        """The expiry (an unexercised option has no value after it)."""
        return self.expiry_date


BARRIER_TYPES = frozenset({"up_out", "down_out"})


@dataclass(frozen=True)
class KnockOut:
    """A European option that dies when spot touches `barrier` (continuously monitored), paying
    `rebate` (quote currency per unit of base) at the hit."""

    pair: Pair
    option_type: OptionType
    direction: Direction
    notional: Money
    strike: Decimal
    expiry_date: date
    barrier_type: str
    barrier: Decimal
    rebate: Decimal = Decimal(0)

    @property
    def last_date(self) -> date:
        """The expiry."""
        return self.expiry_date


@dataclass(frozen=True)
class Combination:
    """Two European or American options handled as a whole (regulation §7, 2011 43号): one
    bought and one sold, a call and a put, on the same pair, expiry and delivery — collars,
    risk reversals, zero-cost collars and, with a smaller sold leg, participating forwards.

    Its value and Greeks are the sum of its legs'; it is held as bought (`direction` BUY)."""

    legs: tuple[Option, Option]

    @property
    def pair(self) -> Pair:
        """The legs' pair."""
        return self.legs[0].pair

    @property
    def bought(self) -> Option:
        """The leg the holder bought."""
        return next(leg for leg in self.legs if leg.direction is Direction.BUY)

    @property
    def sold(self) -> Option:
        """The leg the holder sold."""
        return next(leg for leg in self.legs if leg.direction is Direction.SELL)

    @property
    def direction(self) -> Direction:
        """A combination is held as bought: its legs carry their own sides."""
        return Direction.BUY

    @property
    def notional(self) -> Money:
        """The bought leg's notional."""
        return self.bought.notional

    @property
    def last_date(self) -> date:
        """The common expiry."""
        return self.legs[0].expiry_date

    @property
    def max_delivery(self) -> Money:
        """The most of the base currency the combination can deliver: both legs deliver the
        same way (a bought put and a sold call both sell the base), and both are exercised at
        once only when the call's strike lies below the put's."""
        call = next(leg for leg in self.legs if leg.option_type is OptionType.CALL)
        put = next(leg for leg in self.legs if leg.option_type is OptionType.PUT)
        if call.strike < put.strike:
            return call.notional + put.notional
        return max(call.notional, put.notional, key=lambda money: money.amount)


Instrument = Forward | Ndf | Swap | Option | KnockOut | Combination


def check_combination(combination: Combination) -> Combination:
    """The legs make a whole: two options, one bought and one sold, a call and a put, the same
    pair, expiry and delivery, the sold notional not above the bought one.

    Raises:
        OptionCombinationInvalid: naming the rule broken.
    """
    legs = combination.legs
    if len(legs) != 2 or not all(isinstance(leg, Option) for leg in legs):
        raise OptionCombinationInvalid("a combination is two options", field="legs")
    for leg in legs:
        check_instrument(leg)
    first, second = legs
    if {first.direction, second.direction} != {Direction.BUY, Direction.SELL}:
        raise OptionCombinationInvalid("a combination buys one option and sells one")
    if {first.option_type, second.option_type} != {OptionType.CALL, OptionType.PUT}:
        raise OptionCombinationInvalid("a combination is a call and a put")
    if first.pair != second.pair:
        raise OptionCombinationInvalid("both legs are on the same pair")
    if (first.expiry_date, first.delivery_date) != (second.expiry_date, second.delivery_date):
        raise OptionCombinationInvalid("both legs have the same expiry and delivery (tenor)")
    if first.settlement != second.settlement:
        raise OptionCombinationInvalid("both legs settle the same way (gross or net)")
    if combination.sold.notional.amount > combination.bought.notional.amount:
        raise OptionCombinationInvalid("the sold leg's notional may not exceed the bought leg's")
    return combination


def check_instrument(instrument: Instrument) -> Instrument:
    """Refuse instruments that cannot exist (wrong notional currency, dates out of order)."""
    if isinstance(instrument, Combination):
        return check_combination(instrument)
    pair = instrument.pair
    if instrument.notional.currency.code != pair.ledger_base:
        raise ValidationFailed(
            f"the notional is in {instrument.notional.currency} but {pair.code}'s base is "
            f"{pair.base}",
            field="notional",
        )
    if not instrument.notional.is_positive():
        raise ValidationFailed("the notional must be positive", field="notional")
    check_storable(instrument.notional)
    if isinstance(instrument, Swap):
        rates = {"near_rate": instrument.near_rate, "far_rate": instrument.far_rate}
        if instrument.far_date <= instrument.near_date:
            raise ValidationFailed("a swap's far date must follow its near date", field="far_date")
    else:
        rates = {"strike": instrument.strike}
    for name, rate in rates.items():
        _check_rate(instrument, rate, name)
    _check_kind(instrument)
    return instrument


def _check_kind(instrument: Instrument) -> None:
    """The rules of each kind of instrument."""
    if isinstance(instrument, Ndf):
        _check_ndf(instrument)
    if isinstance(instrument, Forward | Option | Swap) and instrument.settlement not in {
        None,
        *SETTLEMENTS,
    }:
        raise ValidationFailed("settlement is gross or net", field="settlement")
    if isinstance(instrument, KnockOut):
        _check_knock_out(instrument)
    if (
        isinstance(instrument, Option)
        and instrument.delivery_date is not None
        and instrument.delivery_date < instrument.expiry_date
    ):
        raise ValidationFailed("an option delivers on or after expiry", field="delivery_date")


def _check_rate(instrument: Instrument, rate: Decimal, name: str) -> None:
    """A rate in the range of real markets whose counter-amount (notional × rate, in the quote
    currency) the ledger could hold: beyond it every valuation of the deal would overflow."""
    if isinstance(rate, Decimal) and rate.is_finite() and rate <= 0:
        raise ValidationFailed("rates and strikes must be positive", field=name)
    check_fx_rate(rate, name)
    quote = Currency.of(instrument.pair.ledger_quote)
    if (rate * instrument.notional.amount).scaleb(quote.minor_units) > MAX_AMOUNT_MINOR:
        raise ValidationFailed(
            f"{instrument.notional} at {name} {rate} is more {quote} than any amount accepted",
            field=name,
        )


def _check_knock_out(option: KnockOut) -> None:
    if option.barrier_type not in BARRIER_TYPES:
        raise ValidationFailed("barrier_type is up_out or down_out", field="barrier_type")
    if option.barrier <= 0 or option.rebate < 0:
        raise ValidationFailed("a barrier is positive, a rebate not negative", field="barrier")
    check_fx_rate(option.barrier, "barrier")
    check_fx_difference(option.rebate, "rebate")


def _check_ndf(ndf: Ndf) -> None:
    pair = ndf.pair
    if ndf.fixing_date > ndf.delivery_date:
        raise ValidationFailed("an NDF fixes on or before delivery", field="fixing_date")
    settlement = "CNY" if ndf.settlement_currency == "CNH" else ndf.settlement_currency
    if settlement not in {pair.ledger_base, pair.ledger_quote}:
        raise ValidationFailed(
            f"an NDF on {pair.code} settles in {pair.base} or {pair.quote}",
            field="settlement_currency",
        )


# -- markets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlatMarket:
    """The inline market: continuously compounded zero rates, Actual/365 Fixed, no spot lag.

    Without a volatility it prices forwards, NDFs and swaps; an option on it is 422
    MARKET_DATA_MISSING. A volatility of 0 prices an option at its discounted intrinsic value.
    """

    spot: Decimal
    domestic_rate: Decimal  # the quote currency's
    foreign_rate: Decimal  # the base currency's
    volatility: Decimal | None = None

    def __post_init__(self) -> None:
        if self.spot <= 0:
            raise ValidationFailed("the spot must be positive", field="spot")
        check_fx_rate(self.spot, "spot")
        check_interest_rate(self.domestic_rate, "domestic_rate")
        check_interest_rate(self.foreign_rate, "foreign_rate")
        if self.volatility is None or self.volatility.is_zero():
            return
        check_volatility(self.volatility, "volatility")


@dataclass(frozen=True)
class CurvePoint:
    """A simple deposit rate for a tenor, with its day count."""

    tenor: str
    rate: Decimal
    day_count: str


@dataclass(frozen=True)
class SwapPoint:
    """Forward points in price units (outright − spot) for a tenor."""

    tenor: str
    points: Decimal


@dataclass(frozen=True)
class VolPoint:
    """ATM, 25-delta risk reversal and butterfly vols for a tenor."""

    tenor: str
    atm: Decimal
    rr25: Decimal
    bf25: Decimal


@dataclass(frozen=True)
class MarketSnapshot:
    """One day's market: spots, deposit curves, swap points, vol quotes."""

    as_of: date
    spots: dict[str, Decimal]
    curves: dict[str, tuple[CurvePoint, ...]] = field(default_factory=dict)
    swap_points: dict[str, tuple[SwapPoint, ...]] = field(default_factory=dict)
    vols: dict[str, tuple[VolPoint, ...]] = field(default_factory=dict)


DEFAULT_DAY_COUNTS = {"GBP": "ACT/365F", "HKD": "ACT/365F", "CNH": "ACT/365F"}


def default_day_count(currency: str) -> str:
    """The deposit day count of a currency (ACT/360 unless the market uses ACT/365F)."""
    return DEFAULT_DAY_COUNTS.get(currency, "ACT/360")


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Greeks:
    """Sensitivities of the whole position, in the quote currency (per 1.00 of vol and rates)."""

    delta: Decimal
    gamma: Decimal
    vega: Decimal
    theta: Decimal
    rho_domestic: Decimal
    rho_foreign: Decimal


@dataclass(frozen=True)
class PriceResult:
    """A price: NPV of the whole position in the quote currency, the forward, Greeks if any."""

    npv: Money
    npv_exact: Decimal
    forward_rate: Decimal
    greeks: Greeks | None = None
    breakdown: dict[str, str] = field(default_factory=dict)


# -- the FX risk reserve ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReserveCost:
    """What the FX risk reserve on the bank's forward sale adds to a client's forward purchase."""

    ratio: Decimal
    rate_adjustment: Decimal
    client_rate: Decimal
    cost: Money


def reserve_cost(
    *,
    forward_rate: Decimal,
    reserve_ratio: Decimal,
    cny_rate: Decimal,
    years: Decimal,
    notional: Decimal,
    quote_currency: str,
) -> ReserveCost:
    """forward × (1 + ratio × r_CNY × min(t, 1 year)): an inferred convention (regulation §7).

    The bank holds `reserve_ratio` of its forward FX sales at zero interest for up to a year; the
    lost CNY interest is passed to the client in the rate.
    """
    adjustment = forward_rate * reserve_ratio * cny_rate * min(max(years, Decimal(0)), Decimal(1))
    cost = (notional * adjustment).quantize(Decimal("0.01"))
    return ReserveCost(
        ratio=reserve_ratio,
        rate_adjustment=adjustment,
        client_rate=forward_rate + adjustment,
        cost=Money.of(cost, quote_currency),
    )


def reserve_applies(instrument: Instrument) -> bool:
    """The client buys foreign currency forward against CNY: the bank's forward FX sale."""
    return (
        isinstance(instrument, Forward | Ndf)
        and instrument.direction is Direction.BUY
        and instrument.pair.ledger_quote == "CNY"
    )
