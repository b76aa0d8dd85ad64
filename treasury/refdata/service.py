"""Reference-data use cases: load parameters and rates (operator), read them (everyone)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from treasury.audit import service as audit
from treasury.bounds import check_fx_rate
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, ValidationFailed
from treasury.money import is_currency_code, parse_decimal
from treasury.refdata import cache, repository
from treasury.refdata.model import (
    BopCode,
    Parameter,
    ParameterValue,
    ReferenceRate,
    split_pair,
)


@dataclass(frozen=True)
class ParameterInput:
    """A parameter value to load."""

    name: str
    value: ParameterValue
    effective_from: date
    source: str


@dataclass(frozen=True)
class RateInput:
    """A reference rate to load."""

    pair: str
    rate_date: date
    rate: Decimal
    source: str


@dataclass(frozen=True)
class LoadResult:
    """What a load wrote."""

    parameters: int
    reference_rates: int


def checked_pair(pair: str) -> str:
    """A pair of two known currency codes, e.g. USDCNY."""
    try:
        base, quote = split_pair(pair)
    except ValueError as error:
        raise ValidationFailed(str(error)) from error
    if not (is_currency_code(base) and is_currency_code(quote)) or base == quote:
        raise ValidationFailed(f"currency pair {pair!r} is not two different ISO 4217 codes")
    return pair


def checked_rate(rate: Decimal) -> Decimal:
    """A rate must be positive and within the range of real markets (`treasury.bounds`): every
    USD or CNY equivalent the compliance rules compute is multiplied by it."""
    if rate.is_finite() and rate <= 0:
        raise ValidationFailed(f"rate {rate} must be positive", field="rate")
    return check_fx_rate(rate, "rate")


def load(
    uow: UnitOfWork,
    *,
    parameters: list[ParameterInput],
    rates: list[RateInput],
    actor: str = "cli",
) -> LoadResult:
    """Append new versions of parameters and rates, all or nothing."""
    with uow:
        now = uow.clock.now()
        for item in parameters:
            _record_parameter(uow, item, actor)
            repository.add_parameter(
                uow.session,
                name=item.name,
                value=item.value,
                effective_from=item.effective_from,
                source=item.source,
                loaded_at=now,
            )
        for rate in rates:
            _record_rate(uow, rate, actor)
            repository.add_reference_rate(
                uow.session,
                pair=checked_pair(rate.pair),
                rate_date=rate.rate_date,
                rate=checked_rate(rate.rate),
                source=rate.source,
                loaded_at=now,
            )
        uow.commit()
        return LoadResult(len(parameters), len(rates))


def _record_rate(uow: UnitOfWork, rate: RateInput, actor: str) -> None:
    uow.after_commit(cache.invalidate)
    audit.record(
        uow,
        tenant_id=None,
        actor=actor,
        action="reference_rate.loaded",
        object_type="reference_rate",
        object_id=f"{rate.pair}@{rate.rate_date.isoformat()}",
        after={"rate": str(rate.rate), "source": rate.source},
    )


def _record_parameter(uow: UnitOfWork, item: ParameterInput, actor: str) -> None:
    uow.after_commit(cache.invalidate)
    audit.record(
        uow,
        tenant_id=None,
        actor=actor,
        action="parameter.loaded",
        object_type="parameter",
        object_id=f"{item.name}@{item.effective_from.isoformat()}",
        after={"value": item.value, "source": item.source},
    )


def add_reference_rate(uow: UnitOfWork, rate: RateInput, *, actor: str = "cli") -> ReferenceRate:
    """Record one official rate (a new version if the day has one)."""
    with uow:
        _record_rate(uow, rate, actor)
        stored = repository.add_reference_rate(
            uow.session,
            pair=checked_pair(rate.pair),
            rate_date=rate.rate_date,
            rate=checked_rate(rate.rate),
            source=rate.source,
            loaded_at=uow.clock.now(),
        )
        uow.commit()
        return stored


def add_parameter(uow: UnitOfWork, item: ParameterInput, *, actor: str = "cli") -> Parameter:
    """Record one parameter value from a date on."""
    with uow:
        _record_parameter(uow, item, actor)
        stored = repository.add_parameter(
            uow.session,
            name=item.name,
            value=item.value,
            effective_from=item.effective_from,
            source=item.source,
            loaded_at=uow.clock.now(),
        )
        uow.commit()
        return stored


def parameters(uow: UnitOfWork, *, name: str | None, as_of: date | None) -> list[Parameter]:
    """The values in force on `as_of`, or every version when no date is given."""
    with uow:
        if as_of is None:
            return repository.parameter_history(uow.session, name)
        return repository.parameters_in_force(uow.session, as_of, name)


def reference_rates(
    uow: UnitOfWork, *, pair: str | None, date_from: date | None, date_to: date | None
) -> list[ReferenceRate]:
    """Stored reference rates."""
    with uow:
        return repository.list_reference_rates(
            uow.session, pair=pair, date_from=date_from, date_to=date_to
        )


@dataclass(frozen=True)
class BopTableInput:
    """A whole BOP code table to load, in force from a date."""

    version: str
    effective_from: date
    source: str
    rows: list[dict[str, str]]


_BOP_DIRECTIONS = {"both", "receipt", "payment"}


def read_bop_tables(path: Path) -> list[BopTableInput]:
    """The BOP code tables of a JSON reference file: `bop_codes`, one table or a list of them,
    each `{version, effective_from, source, codes: [{code, name_zh?, name_en?, category?,
    account?, directions?, notes?}]}`. Other files hold none."""
    if path.suffix.lower() != ".json":
        return []
    document = json.loads(path.read_text(encoding="utf-8"))
    found = document.get("bop_codes") if isinstance(document, dict) else None
    if found is None:
        return []
    tables = found if isinstance(found, list) else [found]
    return [_bop_table(item, path.name) for item in tables]


def _bop_table(item: Any, file_name: str) -> BopTableInput:
    if not isinstance(item, dict):
        raise ValidationFailed(f"{file_name}: each bop_codes table is an object")
    try:
        version = str(item["version"]).strip()
        effective_from = date.fromisoformat(str(item["effective_from"]))
        codes = list(item["codes"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationFailed(
            f"{file_name}: a bop_codes table needs version, effective_from (YYYY-MM-DD) and codes"
        ) from error
    if not version or len(version) > 40 or not codes:
        raise ValidationFailed(f"{file_name}: a bop_codes table needs a version and codes")
    rows: list[dict[str, str]] = []
    for code in codes:
        if not isinstance(code, dict):
            raise ValidationFailed(f"{file_name}: each BOP code is an object")
        row = {key: str(value) for key, value in code.items() if value is not None}
        row.setdefault("directions", "both")
        if not re.fullmatch(r"[0-9]{6}", row.get("code", "")):
            raise ValidationFailed(f"{file_name}: BOP code {row.get('code')!r} is not 6 digits")
        if row["directions"] not in _BOP_DIRECTIONS:
            raise ValidationFailed(
                f"{file_name}: BOP code {row['code']}: directions is both, receipt or payment"
            )
        rows.append(row)
    if len({row["code"] for row in rows}) != len(rows):
        raise ValidationFailed(f"{file_name}: table {version} lists a code twice")
    source = str(item.get("source") or file_name)[:500]
    return BopTableInput(version=version, effective_from=effective_from, source=source, rows=rows)


def add_bop_table(
    uow: UnitOfWork,
    *,
    version: str,
    effective_from: date,
    source: str,
    rows: list[dict[str, str]],
    actor: str = "cli",
) -> int:
    """Store a whole BOP code table as a new version in force from a date; the codes it holds."""
    with uow:
        if repository.bop_table_exists(uow.session, version):
            raise Conflict(f"BOP code table version {version} is loaded already")
        audit.record(
            uow,
            tenant_id=None,
            actor=actor,
            action="bop_code_table.loaded",
            object_type="bop_code_table",
            object_id=version,
            after={
                "effective_from": effective_from.isoformat(),
                "source": source,
                "codes": len(rows),
            },
        )
        count = repository.add_bop_table(
            uow.session,
            version=version,
            effective_from=effective_from,
            source=source,
            rows=rows,
            loaded_at=uow.clock.now(),
        )
        uow.commit()
        return count


def bop_codes_on(uow: UnitOfWork, on: date) -> tuple[str | None, list[BopCode]]:
    """The BOP code table in force on a date: its version and codes (None and [] if none)."""
    with uow:
        version = repository.bop_table_in_force(uow.session, on)
        if version is None:
            return None, []
        return version, repository.list_bop_codes(uow.session, version)


def reference_rate_on(uow: UnitOfWork, *, pair: str, on: date) -> ReferenceRate | None:
    """The rate that applies on a date (latest on or before it)."""
    with uow:
        return repository.reference_rate_on(uow.session, checked_pair(pair), on)


def read_file(path: Path) -> tuple[list[ParameterInput], list[RateInput]]:
    """Parse a reference-data file: JSON {parameters, reference_rates} or CSV with a header.

    CSV columns `pair,date,rate[,source]` are rates; `name,value,effective_from,source` parameters.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        document = json.loads(text, parse_float=lambda s: s, parse_int=lambda s: s)
        return (
            [_parameter(item) for item in document.get("parameters", [])],
            [_rate(item) for item in document.get("reference_rates", [])],
        )
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and "pair" in rows[0]:
        return [], [_rate(row) for row in rows]
    return [_parameter(row) for row in rows], []


def _parameter(item: dict[str, Any]) -> ParameterInput:
    try:
        return ParameterInput(
            name=str(item["name"]),
            value=item["value"],
            effective_from=date.fromisoformat(str(item["effective_from"])),
            source=str(item["source"]),
        )
    except (KeyError, ValueError) as error:
        raise ValidationFailed(f"parameter {item!r}: {error}") from error


def _rate(item: dict[str, Any]) -> RateInput:
    try:
        return RateInput(
            pair=str(item["pair"]),
            rate_date=date.fromisoformat(str(item["date"])),
            rate=parse_decimal(str(item["rate"])),
            source=str(item.get("source") or "file load"),
        )
    except (KeyError, ValueError) as error:
        raise ValidationFailed(f"reference rate {item!r}: {error}") from error
