"""The regulatory parameters pooling reads, as exact numbers in force on a date.

Values come from reference data (seeded, effective-dated, with source notes); a dict-valued
parameter such as `cbf.term_factor` is flattened to `cbf.term_factor.short`. A missing parameter
is an error (PARAMETER_MISSING), never a silent default.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from treasury.errors import ParameterMissing, ReferenceRateMissing
from treasury.refdata import cache as refdata_cache


class Parameters(dict[str, Decimal | None]):
    """Parameters in force, by name; `number` refuses a missing or disabled one."""

    def __init__(
        self,
        on: date,
        values: dict[str, Decimal | None],
        texts: dict[str, str],
        lists: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(values)
        self.on = on
        self.texts = texts
        self.lists = lists or {}

    def number(self, name: str) -> Decimal:
        """The parameter's value, or PARAMETER_MISSING."""
        value = self.get(name)
        if value is None:
            raise ParameterMissing(f"parameter {name} has no value in force on {self.on}")
        return value

    def text(self, name: str) -> str:
        """A text parameter (e.g. facil.combine_rule)."""
        if name not in self.texts:
            raise ParameterMissing(f"parameter {name} has no value in force on {self.on}")
        return self.texts[name]

    def items_of(self, name: str) -> list[str]:
        """A list parameter's items (e.g. facil.kinds); [] when none is in force."""
        return self.lists.get(name, [])


def in_force(session: Session, on: date) -> Parameters:
    """Every numeric parameter in force on `on` (dicts flattened), and the text ones."""
    values: dict[str, Decimal | None] = {}
    texts: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for name, parameter in refdata_cache.snapshot(session).parameters_in_force(on).items():
        value = parameter.value
        if isinstance(value, list):
            lists[name] = [str(item) for item in value]
        elif isinstance(value, dict):
            for key, item in value.items():
                values[f"{name}.{key}"] = _number(item)
        elif value is None:
            values[name] = None
        elif isinstance(value, str | int) and not isinstance(value, bool):
            number = _number(value)
            if number is None:
                texts[name] = str(value)
            values[name] = number
    return Parameters(on, values, texts, lists)


def _number(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def versions_in_force(
    session: Session, names: tuple[str, ...], on: date
) -> list[tuple[str, object, date, int, str]]:
    """(name, value, effective_from, version, source) of each named parameter in force on
    `on`: what a regulatory report shows it used."""
    found = refdata_cache.snapshot(session).parameters_in_force(on)
    return [
        (name, p.value, p.effective_from, p.version, p.source)
        for name in names
        if (p := found.get(name)) is not None
    ]


def rate_used(session: Session, currency: str, on: date) -> tuple[str, date, Decimal] | None:
    """(pair, rate date, rate) of the reference rate `cny_rate` takes (None for CNY)."""
    if currency == "CNY":
        return None
    rate = refdata_cache.snapshot(session).rate_on(f"{currency}CNY", on)
    return None if rate is None else (rate.pair, rate.rate_date, rate.rate)


def next_in_force(session: Session, name: str, after: date) -> date | None:
    """The first date after `after` from which the parameter has a value (None: never)."""
    versions = refdata_cache.snapshot(session).parameters.get(name, [])
    for day in sorted({v.effective_from for v in versions if v.effective_from > after}):
        found = refdata_cache.snapshot(session).parameters_in_force(day).get(name)
        if found is not None and found.value is not None:
            return day
    return None


def change_dates(
    session: Session,
    *,
    prefixes: tuple[str, ...],
    pairs: tuple[str, ...],
    after: date,
    before: date,
) -> set[date]:
    """The dates in (after, before) on which a parameter named with one of `prefixes` takes a
    new value, or a reference rate of one of `pairs` is published: between two of them the
    parameters and rates in force stay the same."""
    snapshot = refdata_cache.snapshot(session)
    found = {
        version.effective_from
        for name, versions in snapshot.parameters.items()
        if name.startswith(prefixes)
        for version in versions
    }
    found |= {rate.rate_date for pair in pairs for rate in snapshot.rates.get(pair, [])}
    return {day for day in found if after < day < before}


def cny_rate(session: Session, currency: str, on: date) -> Decimal:
    """CNY per unit of `currency` at the reference rate of `on` (1 for CNY).

    Raises:
        ReferenceRateMissing: no rate of the pair on or before `on`.
    """
    if currency == "CNY":
        return Decimal(1)
    rate = refdata_cache.snapshot(session).rate_on(f"{currency}CNY", on)
    if rate is None:
        raise ReferenceRateMissing(f"no {currency}CNY reference rate on or before {on}")
    return rate.rate
