"""Money: a Decimal amount in an ISO 4217 currency, exact to the currency's minor units.

Amounts are built from strings or integers, never from floats. An amount with more decimals than
its currency allows is refused, not rounded; rounding happens only through `round_money`, with the
mode named by the caller. CNH (offshore RMB) is accepted as an alias of CNY: the ledger and every
message carry CNY, and only pricing treats USDCNH as its own market.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Final

from treasury.errors import ValidationFailed

# ISO 4217 active codes with their minor units (the exponent). Kept explicit rather than pulled from
# a locale library so that a change of minor units is a reviewed edit, not a dependency upgrade.
_TWO_DECIMALS = " ".join(
    (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN",
        "BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD",
        "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR",
        "KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR",
        "MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR",
        "SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS",
        "UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG",
    )
).split()
_NO_DECIMALS = [
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
]
_THREE_DECIMALS = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

_MINOR_UNITS: Final[dict[str, int]] = {
    **dict.fromkeys(_TWO_DECIMALS, 2),
    **dict.fromkeys(_NO_DECIMALS, 0),
    **dict.fromkeys(_THREE_DECIMALS, 3),
    "CLF": 4,
    "UYW": 4,
}

# Currency codes that name a market of their own but settle as another ISO code.
_ALIASES: Final[dict[str, str]] = {"CNH": "CNY"}


class MoneyError(ValidationFailed, ValueError):
    """An amount or currency that cannot be money (unknown code, too many decimals, not a number).

    A ValueError too, so that wire validators turn it into a field error.
    """


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency and its number of minor units."""

    code: str
    minor_units: int

    @classmethod
    def of(cls, code: str) -> Currency:
        """Return the currency for an ISO 4217 code (CNH becomes CNY); unknown codes are refused."""
        found = _CURRENCIES.get(code) if isinstance(code, str) else None
        if found is None:
            raise MoneyError(f"unknown currency {code!r}")
        return found

    @property
    def quantum(self) -> Decimal:
        """The smallest unit, e.g. Decimal('0.01') for CNY."""
        return Decimal(1).scaleb(-self.minor_units)

    def __str__(self) -> str:
        return self.code


# One instance per code (and alias), made once: `Currency.of` runs for every amount read.
_CURRENCIES: Final[dict[str, Currency]] = {
    code: Currency(code, units) for code, units in _MINOR_UNITS.items()
} | {alias: Currency(code, _MINOR_UNITS[code]) for alias, code in _ALIASES.items()}


def is_currency_code(code: str) -> bool:
    """True when `code` is a supported ISO 4217 code or an alias of one."""
    return _ALIASES.get(code, code) in _MINOR_UNITS


def parse_decimal(text: str) -> Decimal:
    """Parse a finite decimal from a string; refuse floats, NaN, infinity and exponents' tricks."""
    if not isinstance(text, str):
        raise MoneyError("an amount must be a decimal string, not a JSON number")
    try:
        value = Decimal(text.strip())
    except InvalidOperation as error:
        raise MoneyError(f"{text!r} is not a decimal number") from error
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not a finite number")
    return value


def _whole_minor_units(amount: Decimal, quantum: Decimal) -> bool:
    try:
        return amount == amount.quantize(quantum)
    except InvalidOperation:  # more digits than the decimal context holds: no amount of money
        return False


@dataclass(frozen=True, slots=True)
class Money:
    """A Decimal amount in a currency, never with more decimals than the currency's minor units."""

    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise MoneyError("Money needs a Decimal amount")
        if not self.amount.is_finite():
            raise MoneyError("Money needs a finite amount")
        exponent = self.amount.as_tuple().exponent
        assert isinstance(exponent, int)
        if exponent < -self.currency.minor_units and not _whole_minor_units(
            self.amount, self.currency.quantum
        ):
            raise MoneyError(
                f"{self.amount} has more decimals than {self.currency.code} allows "
                f"({self.currency.minor_units})"
            )

    @classmethod
    def of(cls, amount: str | Decimal | int, currency: str | Currency) -> Money:
        """Build money from a decimal string (or Decimal/int) and a currency code."""
        money_currency = currency if isinstance(currency, Currency) else Currency.of(currency)
        if isinstance(amount, bool | float):
            raise MoneyError("an amount must be a decimal string, not a float")
        value = parse_decimal(amount) if isinstance(amount, str) else Decimal(amount)
        return cls(value, money_currency)

    @classmethod
    def from_minor(cls, amount_minor: int, currency: str | Currency) -> Money:
        """Build money from integer minor units, as stored."""
        money_currency = currency if isinstance(currency, Currency) else Currency.of(currency)
        if type(amount_minor) is not int:  # e.g. a SUM PostgreSQL hands back as numeric
            return cls(Decimal(amount_minor).scaleb(-money_currency.minor_units), money_currency)
        # Whole minor units by construction, so the decimals check of __post_init__ (a digit
        # tuple per amount: most of the cost of reading many balances) has nothing to find.
        money = object.__new__(cls)
        object.__setattr__(
            money, "amount", Decimal(amount_minor).scaleb(-money_currency.minor_units)
        )
        object.__setattr__(money, "currency", money_currency)
        return money

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        """Zero in a currency."""
        return cls.from_minor(0, currency)

    @property
    def minor(self) -> int:
        """The amount in integer minor units (exact: construction refused extra decimals)."""
        return int(self.amount.scaleb(self.currency.minor_units))

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money.from_minor(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money.from_minor(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money.from_minor(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.minor <= other.minor

    def is_positive(self) -> bool:
        """True when the amount is above zero."""
        return self.minor > 0

    def to_wire(self) -> str:
        """The amount as a decimal string with exactly the currency's minor units."""
        return str(self.amount.quantize(self.currency.quantum))

    def __str__(self) -> str:
        return f"{self.to_wire()} {self.currency.code}"


# Amounts are stored as signed 64-bit integers of minor units (about ±9.2e18). An input beyond 17
# digits of minor units is refused, which leaves balances headroom above any single amount.
MAX_AMOUNT_MINOR: Final = 10**17 - 1


def check_storable(money: Money) -> Money:
    """`money` itself when it fits the amounts the service stores; refused otherwise."""
    if abs(money.minor) > MAX_AMOUNT_MINOR:
        # Not `{money}`: rendering quantizes, which fails beyond the context's 28 digits.
        raise MoneyError(f"{money.amount} {money.currency} exceeds the largest amount accepted")
    return money


def round_money(
    amount: Decimal, currency: str | Currency, *, rounding: str = ROUND_HALF_EVEN
) -> Money:
    """Round a computed amount to the currency's minor units with an explicit rounding mode."""
    money_currency = currency if isinstance(currency, Currency) else Currency.of(currency)
    return Money(amount.quantize(money_currency.quantum, rounding=rounding), money_currency)


def convert(money: Money, *, rate: Decimal, to: str | Currency) -> Money:
    """Convert at an explicit rate (units of `to` per unit of `money`), rounded half-even."""
    return round_money(money.amount * rate, to)


def trap_float_operations() -> None:
    """Make mixing floats into Decimal arithmetic raise, in this thread and in new ones."""
    decimal.DefaultContext.traps[decimal.FloatOperation] = True
    decimal.getcontext().traps[decimal.FloatOperation] = True
