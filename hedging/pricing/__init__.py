"""QuantLib pricing of FX forwards, NDFs, swaps and options, one trade or a whole book.

The only package of `hedging` that imports QuantLib, and the only place where floats exist: values
come in as Decimal and leave as Decimal. QuantLib's evaluation date is process-global and its
objects are not thread-safe, so every use runs under `QUANTLIB_LOCK` with the date set per call.

- `quantlib`: the lock, day counters, dates and the way back from floats to Decimal;
- `markets`: an inline flat market or a stored snapshot (curves, smile) as QuantLib sees it;
- `trades`: one trade priced (forwards, NDFs, swaps, options, combinations);
- `reference`: QuantLib's own engines, rebuilt per trade, to check `trades` against;
- `book`: a whole book at once (numpy columns, a sample agreeing with the full engine).

What the rest of the service uses is named here.
"""

from hedging.pricing.book import BookTrade, BookValues, VanillaColumns, price_book
from hedging.pricing.markets import PairMarket, delta_pillars, flat_market, snapshot_market
from hedging.pricing.quantlib import (
    FORWARD_PLACES,
    QUANTLIB_FIRST_YEAR,
    QUANTLIB_LAST_YEAR,
    QUANTLIB_LOCK,
)
from hedging.pricing.reference import reference_european_npv, reference_forward_npv
from hedging.pricing.trades import (
    OptionValue,
    black_option,
    knock_out_fx_option,
    price,
    price_on,
    vanilla_fx_option,
    zero_cost_combination,
)

__all__ = [
    "FORWARD_PLACES",
    "QUANTLIB_FIRST_YEAR",
    "QUANTLIB_LAST_YEAR",
    "QUANTLIB_LOCK",
    "BookTrade",
    "BookValues",
    "OptionValue",
    "PairMarket",
    "VanillaColumns",
    "black_option",
    "delta_pillars",
    "flat_market",
    "knock_out_fx_option",
    "price",
    "price_book",
    "price_on",
    "reference_european_npv",
    "reference_forward_npv",
    "snapshot_market",
    "vanilla_fx_option",
    "zero_cost_combination",
]
