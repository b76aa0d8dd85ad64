"""Market-data snapshots as documents: parsing (JSON, CSV), checking, storing, and where they come
from (a file today; a source interface leaves room for a live feed).

The document is DESIGN §4.3's: `{"as_of", "spots", "curves", "swap_points", "vols"}` with every
number a decimal string. CSV files carry one quote a row:
`as_of,kind,key,tenor,field,value[,day_count]` with kind ∈ spot | curve | swap_points | vol.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx

from hedging.dates import add_months, parse_tenor
from hedging.model import (
    CurvePoint,
    MarketSnapshot,
    Pair,
    SwapPoint,
    VolPoint,
    default_day_count,
)
from treasury.bounds import (
    check_fx_difference,
    check_fx_rate,
    check_interest_rate,
    check_volatility,
    check_volatility_spread,
)
from treasury.calendars import DAY_COUNT_CONVENTIONS
from treasury.errors import ValidationFailed
from treasury.money import MoneyError, is_currency_code, parse_decimal

# Pillars must end where QuantLib has dates (up to 2199), with a year to spare for spot lags.
FIRST_YEAR, LAST_YEAR = 1902, 2198


def _number(value: Any, where: str) -> Decimal:
    if not isinstance(value, str):
        raise ValidationFailed(f"{where}: numbers are decimal strings, not {type(value).__name__}")
    try:
        return parse_decimal(value)
    except MoneyError as error:
        raise ValidationFailed(f"{where}: {error.detail}") from error


def _tenor(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"{where}: the tenor must be text like 3M")
    count, unit = parse_tenor(value)
    return f"{count}{unit}"


def _unique_tenors(tenors: list[str], where: str) -> None:
    if len(set(tenors)) != len(tenors):
        raise ValidationFailed(f"{where}: a tenor appears twice")


def snapshot_from_document(document: Mapping[str, Any]) -> MarketSnapshot:
    """Check and convert a snapshot document (422 VALIDATION_ERROR on anything wrong)."""
    if not isinstance(document, Mapping):
        raise ValidationFailed("a snapshot is a JSON object")
    try:
        as_of = date.fromisoformat(str(document["as_of"]))
    except (KeyError, ValueError) as error:
        raise ValidationFailed("a snapshot needs `as_of` as YYYY-MM-DD") from error
    if not FIRST_YEAR <= as_of.year <= LAST_YEAR:
        raise ValidationFailed(f"as_of {as_of} lies outside {FIRST_YEAR}-{LAST_YEAR}")
    spots = {
        Pair.parse(code).code: _spot(_number(value, f"spots.{code}"), f"spots.{code}")
        for code, value in _section(document, "spots").items()
    }
    if not spots:
        raise ValidationFailed("a snapshot needs at least one spot", field="spots")
    snapshot = MarketSnapshot(
        as_of=as_of,
        spots=spots,
        curves=_curves(_section(document, "curves")),
        swap_points=_swap_points(_section(document, "swap_points")),
        vols=_vols(_section(document, "vols")),
    )
    for section in (snapshot.curves, snapshot.swap_points, snapshot.vols):
        for points in section.values():
            for point in points:
                _check_reach(as_of, point.tenor)
    return snapshot


def _section(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = document.get(name) or {}
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{name}: an object keyed by currency or pair", field=name)
    return dict(value)


def _spot(value: Decimal, where: str) -> Decimal:
    if value <= 0:
        raise ValidationFailed(f"{where} must be positive")
    return check_fx_rate(value, where)


def _check_reach(as_of: date, tenor: str) -> None:
    """A pillar the pricer could not date would make every price from the snapshot fail."""
    count, unit = parse_tenor(tenor)
    try:
        if unit in ("D", "W"):
            end = as_of + timedelta(days=count * (7 if unit == "W" else 1))
        else:
            end = add_months(as_of, count * (12 if unit == "Y" else 1))
    except (OverflowError, ValueError):
        end = date.max
    if end.year > LAST_YEAR:
        raise ValidationFailed(f"tenor {tenor} reaches past {LAST_YEAR}", field="tenor")


def _curves(raw: dict[str, Any]) -> dict[str, tuple[CurvePoint, ...]]:
    curves: dict[str, tuple[CurvePoint, ...]] = {}
    for currency, items in raw.items():
        if not isinstance(currency, str) or not is_currency_code(currency):
            raise ValidationFailed(f"curves: unknown currency {currency!r}")
        points = []
        for item in _items(items, f"curves.{currency}"):
            where = f"curves.{currency}.{item.get('tenor')}"
            rate = check_interest_rate(_number(item.get("rate"), where), f"{where}.rate")
            day_count = item.get("day_count") or default_day_count(currency)
            if day_count not in DAY_COUNT_CONVENTIONS:
                raise ValidationFailed(
                    f"{where}: day count {day_count!r} is not one of ACT/360, ACT/365F"
                )
            points.append(CurvePoint(_tenor(item.get("tenor"), where), rate, str(day_count)))
        _unique_tenors([p.tenor for p in points], f"curves.{currency}")
        curves[currency] = tuple(points)
    return curves


def _swap_points(raw: dict[str, Any]) -> dict[str, tuple[SwapPoint, ...]]:
    found: dict[str, tuple[SwapPoint, ...]] = {}
    for code, items in raw.items():
        pair = Pair.parse(code)
        points = []
        for item in _items(items, f"swap_points.{code}"):
            where = f"swap_points.{code}.{item.get('tenor')}"
            value = check_fx_difference(_number(item.get("points"), where), f"{where}.points")
            points.append(SwapPoint(_tenor(item.get("tenor"), f"swap_points.{code}"), value))
        _unique_tenors([p.tenor for p in points], f"swap_points.{code}")
        found[pair.code] = tuple(points)
    return found


def _vols(raw: dict[str, Any]) -> dict[str, tuple[VolPoint, ...]]:
    found: dict[str, tuple[VolPoint, ...]] = {}
    for code, items in raw.items():
        pair = Pair.parse(code)
        points = []
        for item in _items(items, f"vols.{code}"):
            where = f"vols.{code}.{item.get('tenor')}"
            atm = check_volatility(_number(item.get("atm"), where), f"{where}.atm")
            rr = check_volatility_spread(_number(item.get("rr25", "0"), where), f"{where}.rr25")
            bf = check_volatility_spread(_number(item.get("bf25", "0"), where), f"{where}.bf25")
            if atm + bf - abs(rr) / 2 <= 0:
                raise ValidationFailed(f"{where}: the quotes give a non-positive vol")
            points.append(VolPoint(_tenor(item.get("tenor"), where), atm, rr, bf))
        _unique_tenors([p.tenor for p in points], f"vols.{code}")
        found[pair.code] = tuple(points)
    return found


def _items(items: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValidationFailed(f"{where}: a list of objects")
    if not items:
        raise ValidationFailed(f"{where}: at least one tenor")
    return items


def snapshot_to_document(snapshot: MarketSnapshot) -> dict[str, Any]:
    """The snapshot as its JSON document (decimal strings)."""
    return {
        "as_of": snapshot.as_of.isoformat(),
        "spots": {code: str(value) for code, value in snapshot.spots.items()},
        "curves": {
            currency: [
                {"tenor": p.tenor, "rate": str(p.rate), "day_count": p.day_count} for p in points
            ]
            for currency, points in snapshot.curves.items()
        },
        "swap_points": {
            code: [{"tenor": p.tenor, "points": str(p.points)} for p in points]
            for code, points in snapshot.swap_points.items()
        },
        "vols": {
            code: [
                {"tenor": p.tenor, "atm": str(p.atm), "rr25": str(p.rr25), "bf25": str(p.bf25)}
                for p in points
            ]
            for code, points in snapshot.vols.items()
        },
    }


# -- files ---------------------------------------------------------------------------------------


def documents_from_file(path: Path) -> list[dict[str, Any]]:
    """Snapshot documents from a JSON file (one object or a list) or a CSV file (one per as_of)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            loaded = json.loads(text, parse_float=str, parse_int=str)
        except json.JSONDecodeError as error:
            raise ValidationFailed(f"{path.name}: not JSON ({error})") from error
        return loaded if isinstance(loaded, list) else [loaded]
    if path.suffix.lower() == ".csv":
        return documents_from_csv(text)
    raise ValidationFailed(f"{path.name}: market data files are .json or .csv")


def documents_from_csv(text: str) -> list[dict[str, Any]]:
    """Rows `as_of,kind,key,tenor,field,value[,day_count]` grouped into one document per as_of."""
    documents: dict[str, dict[str, Any]] = {}
    rows: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        as_of, kind, key = row.get("as_of", ""), row.get("kind", ""), row.get("key", "")
        document = documents.setdefault(as_of, {"as_of": as_of})
        value = (row.get("value") or "").strip()
        if kind == "spot":
            document.setdefault("spots", {})[key] = value
            continue
        if kind not in {"curve", "swap_points", "vol"}:
            raise ValidationFailed(
                f"line {number}: kind {kind!r} is not spot, curve, swap_points, vol"
            )
        tenor = (row.get("tenor") or "").strip()
        item = rows.setdefault((as_of, kind, key, tenor), {"tenor": tenor})
        if item is rows[(as_of, kind, key, tenor)] and len(item) == 1:
            section = {"curve": "curves", "swap_points": "swap_points", "vol": "vols"}[kind]
            document.setdefault(section, {}).setdefault(key, []).append(item)
        field = (row.get("field") or "").strip() or {"curve": "rate", "swap_points": "points"}.get(
            kind, ""
        )
        item[field] = value
        if row.get("day_count"):
            item["day_count"] = row["day_count"].strip()
    return list(documents.values())


class SnapshotSource(Protocol):
    """Where snapshot documents come from: a file, or a live feed behind the same interface."""

    def fetch(self, as_of: date) -> dict[str, Any]:
        """The snapshot document of `as_of`."""
        ...


class HttpSource:
    """Snapshot documents from an HTTP feed answering `GET {base_url}/{as_of}` with the JSON
    document. The transport is injectable (tests use `httpx.MockTransport`)."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._client = httpx.Client(base_url=base_url, transport=transport, timeout=timeout_seconds)

    def fetch(self, as_of: date) -> dict[str, Any]:
        """The document of `as_of`; a feed error or a non-object body is 422 VALIDATION_ERROR."""
        try:
            response = self._client.get(f"/{as_of.isoformat()}")
            response.raise_for_status()
            document = json.loads(response.text, parse_float=str, parse_int=str)
        except (httpx.HTTPError, json.JSONDecodeError) as error:
            raise ValidationFailed(f"market data feed for {as_of}: {error}") from error
        if not isinstance(document, dict):
            raise ValidationFailed(f"market data feed for {as_of}: not a JSON object")
        return document

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()
