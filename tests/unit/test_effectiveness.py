"""Hedge effectiveness on constructed histories whose answers are known exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hedging.service.effectiveness import dollar_offset, regression

D = Decimal
ITEM = [D(v) for v in ("0", "120.50", "-80.25", "300", "210.75", "-150", "90", "400.10", "-20")]


def test_a_hedge_offsetting_ninety_percent_is_effective_with_a_known_slope() -> None:
    hedge = [D("-0.9") * value + D("1000") for value in ITEM]

    offset = dollar_offset(hedge, ITEM)
    fitted = regression(hedge, ITEM, minimum=8)

    assert offset.ratio == D("0.9")
    assert offset.effective is True
    assert fitted.observations == 8
    assert fitted.slope == D("-0.9")
    assert fitted.r_squared == D(1)
    assert fitted.intercept == 0
    assert fitted.effective is True


def test_an_over_hedge_fails_both_tests() -> None:
    hedge = [D("-1.5") * value for value in ITEM]

    assert dollar_offset(hedge, ITEM).effective is False
    fitted = regression(hedge, ITEM, minimum=8)
    assert fitted.slope == D("-1.5")
    assert fitted.effective is False


def test_too_few_observations_fail_the_regression() -> None:
    hedge = [-value for value in ITEM[:6]]

    fitted = regression(hedge, ITEM[:6], minimum=8)

    assert fitted.slope == D(-1)
    assert fitted.observations == 5
    assert fitted.effective is None  # not judged yet: not "ineffective"


def test_an_unrelated_hedge_has_a_low_r_squared() -> None:
    # Changes alternate against a steady item: correlation is weak.
    item = [D(i * 10) for i in range(10)]
    hedge = [D(0), D(50), D(-10), D(40), D(0), D(60), D(-20), D(30), D(10), D(50)]

    fitted = regression(hedge, item, minimum=8)

    assert fitted.r_squared is None or fitted.r_squared < D("0.8")
    assert fitted.effective is False


@pytest.mark.parametrize(
    ("ratio", "effective"), [("0.79", False), ("0.8", True), ("1.25", True), ("1.26", False)]
)
def test_the_dollar_offset_band_is_80_to_125_percent(ratio: str, effective: bool) -> None:
    item = [D(0), D(100)]
    hedge = [D(0), -D(ratio) * 100]

    assert dollar_offset(hedge, item).effective is effective
