"""The ranges an FX rate, an interest rate or a volatility must fall in to be accepted.

Each bound is far outside anything a treasurer meets, so it never refuses a real deal or quote; it
refuses what would otherwise be stored and then break every later computation that reads it (one
strike of 1E+30 booked once used to stop each nightly revaluation of the tenant's book). Values
are checked where they enter: the API models, the files the command line loads, and the domain
constructors the stored documents are read back through.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from treasury.errors import ValidationFailed

MAX_SIGNIFICANT_DIGITS: Final = 15
"""Every rate is priced as a binary float, which holds 15 significant decimal digits exactly
(DBL_DIG): a 16th digit would be stored but never priced. Quotes carry 4 to 8 digits."""

MIN_FX_RATE: Final = Decimal("1E-7")
MAX_FX_RATE: Final = Decimal("1E+7")
"""Units of the quote currency per unit of the base, for spots, strikes, swap rates, barriers and
reference rates. The widest real pairs sit well inside: the Iranian rial trades at about 1E+6 per
US dollar on the open market (about 3E+6 per Kuwaiti dinar), so its inverse is near 3E-7."""

MIN_INTEREST_RATE: Final = Decimal(-1)
MAX_INTEREST_RATE: Final = Decimal(1)
"""An interest rate per year as a fraction, in (-1, 1]: -100 % would wipe the principal out, and
100 % a year is beyond the worst hyperinflation policy rate quoted in a currency still traded
(Argentina's 133 % simple in 2023 is 0.85 continuously compounded)."""

MAX_VOLATILITY: Final = Decimal(5)
"""An annual volatility as a fraction, in (0, 5]: 500 % a year, several times the highest implied
FX volatility ever quoted (a few currencies in crisis went above 100 %)."""


def significant_digits(value: Decimal) -> int:
    """The number's digits without leading or trailing zeros (7.1000 has 2, 0.00071 has 2)."""
    digits = "".join(str(digit) for digit in value.as_tuple().digits).strip("0")
    return len(digits)


def _canonical(value: Decimal) -> Decimal:
    """Zero without a sign or exponent, a whole number without an exponent: "-0", "0E+5" and
    "1E+2" are stored as 0, 0 and 100."""
    if value.is_zero():
        return Decimal(0)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return value.quantize(Decimal(1))
    return value


def _finite(value: Decimal, field: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationFailed(f"{field} must be a finite decimal number", field=field)
    if significant_digits(value) > MAX_SIGNIFICANT_DIGITS:
        raise ValidationFailed(
            f"{field} {value} has more than {MAX_SIGNIFICANT_DIGITS} significant digits",
            field=field,
        )
    return value


def check_fx_rate(value: Decimal, field: str) -> Decimal:
    """An exchange rate, strike or barrier within [MIN_FX_RATE, MAX_FX_RATE] (422 otherwise)."""
    checked = _finite(value, field)
    if not MIN_FX_RATE <= checked <= MAX_FX_RATE:
        raise ValidationFailed(
            f"{field} {value} lies outside {MIN_FX_RATE} to {MAX_FX_RATE:,.0f}", field=field
        )
    return _canonical(checked)


def check_fx_difference(value: Decimal, field: str) -> Decimal:
    """A difference of two exchange rates (swap points, a rebate per unit): at most MAX_FX_RATE
    either way."""
    checked = _finite(value, field)
    if abs(checked) > MAX_FX_RATE:
        raise ValidationFailed(
            f"{field} {value} exceeds {MAX_FX_RATE:,.0f} either way", field=field
        )
    return _canonical(checked)


def check_interest_rate(value: Decimal, field: str) -> Decimal:
    """An interest rate per year within (MIN_INTEREST_RATE, MAX_INTEREST_RATE]."""
    checked = _finite(value, field)
    if not MIN_INTEREST_RATE < checked <= MAX_INTEREST_RATE:
        raise ValidationFailed(
            f"{field} {value} is not an interest rate per year in "
            f"({MIN_INTEREST_RATE}, {MAX_INTEREST_RATE}], e.g. 0.025",
            field=field,
        )
    return _canonical(checked)


def check_volatility(value: Decimal, field: str) -> Decimal:
    """A volatility within (0, MAX_VOLATILITY]."""
    checked = _finite(value, field)
    if not Decimal(0) < checked <= MAX_VOLATILITY:
        raise ValidationFailed(
            f"{field} {value} is not a volatility in (0, {MAX_VOLATILITY}], e.g. 0.05",
            field=field,
        )
    return _canonical(checked)


def check_volatility_spread(value: Decimal, field: str) -> Decimal:
    """A difference of volatilities (a risk reversal, a butterfly): at most MAX_VOLATILITY."""
    checked = _finite(value, field)
    if abs(checked) > MAX_VOLATILITY:
        raise ValidationFailed(f"{field} {value} exceeds {MAX_VOLATILITY} either way", field=field)
    return _canonical(checked)
