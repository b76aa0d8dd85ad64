"""Effective-dated reference data: the value in force on a date, the latest rate, currency pairs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from treasury.refdata.model import (
    Parameter,
    ParameterValue,
    ReferenceRate,
    in_force,
    latest_rate,
    split_pair,
)

LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def mu(value: ParameterValue, effective_from: date, version: int = 1) -> Parameter:
    return Parameter(
        name="cbf.mu",
        value=value,
        effective_from=effective_from,
        source="test",
        version=version,
        loaded_at=LOADED_AT,
    )


def usdcny(rate: str, rate_date: date, version: int = 1) -> ReferenceRate:
    return ReferenceRate(
        pair="USDCNY", rate_date=rate_date, rate=Decimal(rate), source="test", version=version
    )


# The published history of the cross-border financing macro-prudential parameter μ.
MU_HISTORY = [
    mu("1", date(2021, 1, 7)),
    mu("1.25", date(2022, 10, 25)),
    mu("1.5", date(2023, 7, 20)),
    mu("1.75", date(2025, 1, 13)),
]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2021, 1, 7), "1"),
        (date(2022, 10, 24), "1"),
        (date(2022, 10, 25), "1.25"),
        (date(2023, 7, 19), "1.25"),
        (date(2024, 12, 31), "1.5"),
        (date(2025, 1, 13), "1.75"),
        (date(2026, 11, 26), "1.75"),
    ],
)
def test_in_force_picks_the_latest_effective_on_or_before_the_date(on: date, expected: str) -> None:
    found = in_force(reversed(MU_HISTORY), on)

    assert found is not None
    assert found.value == expected
    assert found.decimal() == Decimal(expected)


def test_nothing_is_in_force_before_the_first_value() -> None:
    assert in_force(MU_HISTORY, date(2021, 1, 6)) is None
    assert in_force([], date(2026, 1, 1)) is None


def test_a_newer_version_wins_a_tie_on_effective_from() -> None:
    corrected = [mu("1.75", date(2025, 1, 13), 1), mu("1.8", date(2025, 1, 13), 2)]

    for order in (corrected, list(reversed(corrected))):
        found = in_force(order, date(2025, 6, 1))
        assert found is not None
        assert (found.value, found.version) == ("1.8", 2)


def test_a_later_date_beats_a_higher_version() -> None:
    found = in_force(
        [mu("9", date(2020, 1, 1), 7), mu("1.75", date(2025, 1, 13), 1)], date(2026, 1, 1)
    )

    assert found is not None
    assert found.value == "1.75"


@pytest.mark.parametrize("value", [True, None, {"a": "1"}, ["1"]])
def test_a_parameter_that_is_not_a_number_has_no_decimal(value: ParameterValue) -> None:
    with pytest.raises(TypeError):
        mu(value, date(2025, 1, 1)).decimal()


def test_latest_rate_on_or_before_the_date() -> None:
    rates = [
        usdcny("7.1000", date(2026, 11, 20)),
        usdcny("7.0850", date(2026, 11, 24)),
        usdcny("7.0900", date(2026, 11, 24), version=2),
        usdcny("7.0700", date(2026, 11, 27)),
    ]

    on_the_day = latest_rate(rates, date(2026, 11, 24))
    after_a_gap = latest_rate(rates, date(2026, 11, 26))
    first_day = latest_rate(rates, date(2026, 11, 20))

    assert on_the_day is not None
    assert on_the_day.rate == Decimal("7.0900")
    assert after_a_gap is not None
    assert after_a_gap.rate == Decimal("7.0900")
    assert first_day is not None
    assert first_day.rate == Decimal("7.1000")
    assert latest_rate(rates, date(2026, 11, 19)) is None
    assert latest_rate([], date(2026, 11, 19)) is None


def test_split_pair() -> None:
    assert split_pair("USDCNY") == ("USD", "CNY")
    assert split_pair("EURUSD") == ("EUR", "USD")


@pytest.mark.parametrize("pair", ["usdcny", "USDCN", "USD/CNY", "USDCNYX", "USD1NY", ""])
def test_split_pair_refuses_malformed_pairs(pair: str) -> None:
    with pytest.raises(ValueError, match="six capital letters"):
        split_pair(pair)
