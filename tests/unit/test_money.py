"""Money: ISO 4217 minor units, the CNH alias, no floats, no silent rounding (DESIGN §3.3)."""

from __future__ import annotations

import decimal
import threading
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treasury.errors import ValidationFailed
from treasury.money import (
    Currency,
    Money,
    MoneyError,
    convert,
    is_currency_code,
    parse_decimal,
    round_money,
    trap_float_operations,
)

CURRENCIES = ["CNY", "USD", "JPY", "KWD", "CLF"]
MINOR = st.integers(min_value=-(10**15), max_value=10**15)


@pytest.mark.parametrize(
    ("code", "minor_units", "quantum"),
    [
        ("CNY", 2, Decimal("0.01")),
        ("USD", 2, Decimal("0.01")),
        ("JPY", 0, Decimal("1")),
        ("KWD", 3, Decimal("0.001")),
        ("CLF", 4, Decimal("0.0001")),
    ],
)
def test_currency_knows_its_minor_units(code: str, minor_units: int, quantum: Decimal) -> None:
    currency = Currency.of(code)

    assert currency.code == code
    assert currency.minor_units == minor_units
    assert currency.quantum == quantum


def test_cnh_is_an_alias_of_cny() -> None:
    offshore = Money.of("1250000.00", "CNH")

    assert offshore.currency == Currency.of("CNY")
    assert offshore.currency.code == "CNY"
    assert offshore == Money.of("1250000.00", "CNY")
    assert str(offshore) == "1250000.00 CNY"
    assert is_currency_code("CNH")


@pytest.mark.parametrize("code", ["XXX", "cny", "RMB", "", "CNYY", "US"])
def test_unknown_currency_is_refused(code: str) -> None:
    assert not is_currency_code(code)
    with pytest.raises(MoneyError, match="unknown currency"):
        Currency.of(code)
    with pytest.raises(MoneyError):
        Money.of("1.00", code)


def test_money_errors_are_validation_errors() -> None:
    with pytest.raises(ValidationFailed) as raised:
        Money.of("1.00", "XXX")

    assert raised.value.code == "VALIDATION_ERROR"
    assert isinstance(raised.value, ValueError)


def test_float_amount_is_refused() -> None:
    float_amount: Any = 1.5

    with pytest.raises(MoneyError, match="not a float"):
        Money.of(float_amount, "CNY")


def test_bool_amount_is_refused() -> None:
    bool_amount: Any = True

    with pytest.raises(MoneyError):
        Money.of(bool_amount, "CNY")


def test_money_needs_a_decimal_not_a_float() -> None:
    float_amount: Any = 1.5

    with pytest.raises(MoneyError, match="Decimal"):
        Money(float_amount, Currency.of("CNY"))


def test_float_operation_is_trapped() -> None:
    trap_float_operations()

    with pytest.raises(decimal.FloatOperation):
        Decimal(1.5)  # noqa: RUF032 (the float is the point)
    with pytest.raises(decimal.FloatOperation):
        _ = Decimal("1.5") < 2.0


def test_float_operation_is_trapped_in_new_threads() -> None:
    trap_float_operations()
    caught: list[BaseException] = []

    def mix_in_a_float() -> None:
        try:
            Decimal(0.1)  # noqa: RUF032 (the float is the point)
        except decimal.FloatOperation as error:
            caught.append(error)

    worker = threading.Thread(target=mix_in_a_float)
    worker.start()
    worker.join()

    assert len(caught) == 1


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "sNaN", "abc", "1,000.00", ""])
def test_non_numbers_are_refused(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.of(text, "CNY")


def test_a_json_number_is_not_a_decimal_string() -> None:
    number: Any = 12

    with pytest.raises(MoneyError, match="decimal string"):
        parse_decimal(number)


@pytest.mark.parametrize(
    ("amount", "code"),
    [("1.001", "CNY"), ("0.005", "USD"), ("1.5", "JPY"), ("1.2345", "KWD"), ("-0.001", "CNY")],
)
def test_too_many_decimals_are_refused_not_rounded(amount: str, code: str) -> None:
    with pytest.raises(MoneyError, match="more decimals"):
        Money.of(amount, code)


def test_trailing_zeros_beyond_minor_units_are_accepted() -> None:
    money = Money.of("1.000", "CNY")

    assert money == Money.of("1.00", "CNY")
    assert money.minor == 100
    assert money.to_wire() == "1.00"


@pytest.mark.parametrize(
    ("amount", "code", "minor", "wire"),
    [
        ("1250000.00", "CNY", 125000000, "1250000.00"),
        ("12", "CNY", 1200, "12.00"),
        ("100", "JPY", 100, "100"),
        ("1.234", "KWD", 1234, "1.234"),
        ("-3.5", "USD", -350, "-3.50"),
    ],
)
def test_amounts_in_minor_units(amount: str, code: str, minor: int, wire: str) -> None:
    money = Money.of(amount, code)

    assert money.minor == minor
    assert money.to_wire() == wire
    assert Money.from_minor(minor, code) == money


@given(amount_minor=MINOR, code=st.sampled_from(CURRENCIES))
def test_from_minor_and_minor_round_trip(amount_minor: int, code: str) -> None:
    money = Money.from_minor(amount_minor, code)

    assert money.minor == amount_minor
    assert Money.of(money.to_wire(), code) == money
    assert Money.of(money.to_wire(), code).minor == amount_minor


@given(a=MINOR, b=MINOR, code=st.sampled_from(CURRENCIES))
def test_adding_and_subtracting_are_exact(a: int, b: int, code: str) -> None:
    x, y = Money.from_minor(a, code), Money.from_minor(b, code)

    assert (x + y).minor == a + b
    assert (x - y).minor == a - b
    assert (x + y).amount == x.amount + y.amount
    assert (x - y) + y == x
    assert (-x).minor == -a
    assert (x < y) == (a < b)
    assert (x <= y) == (a <= b)


def test_different_currencies_do_not_mix() -> None:
    with pytest.raises(MoneyError, match="cannot combine"):
        _ = Money.of("1.00", "CNY") + Money.of("1.00", "USD")
    with pytest.raises(MoneyError):
        _ = Money.of("1.00", "CNY") < Money.of("1.00", "USD")


@pytest.mark.parametrize(
    ("amount", "code", "expected"),
    [
        ("2.345", "CNY", "2.34"),
        ("2.355", "CNY", "2.36"),
        ("-2.345", "CNY", "-2.34"),
        ("2.5", "JPY", "2"),
        ("3.5", "JPY", "4"),
        ("1.23450", "KWD", "1.234"),
    ],
)
def test_round_money_is_half_even_by_default(amount: str, code: str, expected: str) -> None:
    assert round_money(Decimal(amount), code) == Money.of(expected, code)


def test_round_money_takes_an_explicit_mode() -> None:
    assert round_money(Decimal("2.345"), "CNY", rounding=ROUND_HALF_UP) == Money.of("2.35", "CNY")


@pytest.mark.parametrize(
    ("amount", "code", "rate", "to", "expected"),
    [
        ("100.00", "USD", "7.0850", "CNY", "708.50"),
        ("1000.00", "CNY", "0.1381", "USD", "138.10"),
        ("1.00", "USD", "2.345", "CNY", "2.34"),
        ("1.00", "USD", "2.355", "CNY", "2.36"),
        ("100.00", "USD", "151.235", "JPY", "15124"),
        ("1.00", "CNH", "1", "CNY", "1.00"),
    ],
)
def test_convert_at_a_rate_rounds_half_even(
    amount: str, code: str, rate: str, to: str, expected: str
) -> None:
    converted = convert(Money.of(amount, code), rate=Decimal(rate), to=to)

    assert converted == Money.of(expected, to)
    assert converted.currency.code == Currency.of(to).code


def test_zero_and_sign() -> None:
    assert Money.zero("JPY").minor == 0
    assert not Money.zero("CNY").is_positive()
    assert Money.of("0.01", "CNY").is_positive()
    assert not Money.of("-0.01", "CNY").is_positive()
