"""`treasury.bounds`: every real market inside, absurd numbers and odd spellings out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from treasury.bounds import (
    check_fx_difference,
    check_fx_rate,
    check_interest_rate,
    check_volatility,
    check_volatility_spread,
    significant_digits,
)
from treasury.errors import ValidationFailed

D = Decimal


@pytest.mark.parametrize(
    ("value", "digits"),
    [("7.1000", 2), ("0.00071", 2), ("100", 1), ("1E+2", 1), ("0", 0), ("-0.0", 0), ("12.345", 5)],
)
def test_significant_digits_ignore_leading_and_trailing_zeros(value: str, digits: int) -> None:
    assert significant_digits(D(value)) == digits


@pytest.mark.parametrize("rate", ["7.1025", "0.0000001", "10000000", "1000000.123456", "1E+2"])
def test_real_exchange_rates_are_accepted(rate: str) -> None:
    assert check_fx_rate(D(rate), "rate") == D(rate)


@pytest.mark.parametrize(
    "rate",
    ["0", "-0", "0E+5", "-7.1", "1E+30", "1E+400", "1E-40", "10000000.01", "0.00000009", "NaN",
     "Infinity", "-Infinity", "7.1234567890123456", "1" * 40],
)  # fmt: skip
def test_absurd_exchange_rates_are_refused_naming_the_field(rate: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_fx_rate(D(rate), "strike")
    assert refused.value.extra == {"field": "strike"}


def test_odd_spellings_are_stored_plainly() -> None:
    assert str(check_fx_rate(D("1E+2"), "rate")) == "100"
    assert str(check_interest_rate(D("-0"), "rate")) == "0"
    assert str(check_interest_rate(D("0E+9"), "rate")) == "0"
    assert str(check_fx_difference(D("-0.0160"), "points")) == "-0.0160"


@pytest.mark.parametrize(
    ("check", "accepted", "refused"),
    [
        (check_interest_rate, ["0.85", "-0.0075", "1", "0"], ["-1", "1.0001", "1E+400"]),
        (check_volatility, ["0.05", "1.5", "5"], ["0", "-0.05", "5.0001", "11"]),
        (check_volatility_spread, ["-0.004", "0", "5"], ["5.01", "-1E+30"]),
        (check_fx_difference, ["-0.1700", "0", "10000000"], ["10000000.01", "1E+30"]),
    ],
)
def test_each_range(check: object, accepted: list[str], refused: list[str]) -> None:
    assert callable(check)
    for value in accepted:
        assert check(D(value), "field") == D(value)
    for value in refused:
        with pytest.raises(ValidationFailed):
            check(D(value), "field")
