"""An in-process cache of the reference data every payment consults (parameters and rates).

Screening needs the parameters in force and the reference rates on every transfer; reading them
from the database each time costs more than the rules themselves. The cache is per database,
refreshed after `REFRESH_SECONDS` (so another process's load is seen within that time) and dropped
at once when this process writes reference data (after the write commits).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from treasury.db.engine import database_key
from treasury.refdata import repository
from treasury.refdata.model import Parameter, ReferenceRate, in_force, latest_rate

REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class Snapshot:
    """Every parameter version and reference rate, as loaded at one moment."""

    parameters: dict[str, list[Parameter]]
    rates: dict[str, list[ReferenceRate]]
    loaded_at: float
    # Per date, worked out once for this snapshot (it goes with the snapshot when reference data
    # is written or the snapshot is refreshed): a transfer asks several times, each time for some
    # 130 parameters (631,008 `in_force` calls in 5,000 transfers).
    _in_force: dict[date, dict[str, Parameter]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def parameters_in_force(self, on: date) -> dict[str, Parameter]:
        """Each parameter's value in force on `on` (a copy the caller may change)."""
        known = self._in_force.get(on)
        if known is None:
            found = {name: in_force(values, on) for name, values in self.parameters.items()}
            known = {name: value for name, value in found.items() if value is not None}
            self._in_force[on] = known
        return dict(known)

    def rate_on(self, pair: str, on: date) -> ReferenceRate | None:
        """The pair's rate of the latest date on or before `on`."""
        return latest_rate(self.rates.get(pair, []), on)

    def usd_equivalent(self, amount: Decimal, currency: str, on: date) -> Decimal | None:
        """The amount in USD at the reference rates of `on` (via CNY); None without a rate."""
        if currency == "USD":
            return amount
        usd_cny = self.rate_on("USDCNY", on)
        if usd_cny is None:
            return None
        if currency == "CNY":
            return amount / usd_cny.rate
        to_cny = self.rate_on(f"{currency}CNY", on)
        return None if to_cny is None else amount * to_cny.rate / usd_cny.rate


_lock = threading.Lock()
_snapshots: dict[str, Snapshot] = {}


def _key(session: Session) -> str:
    return database_key(session.get_bind().engine)


def snapshot(session: Session) -> Snapshot:
    """The current snapshot for this session's database, loaded when missing or stale."""
    key = _key(session)
    with _lock:
        found = _snapshots.get(key)
    if found is not None and time.monotonic() - found.loaded_at < REFRESH_SECONDS:
        return found
    loaded = Snapshot(
        parameters=_group(repository.parameter_history(session, None)),
        rates=_group_rates(
            repository.list_reference_rates(session, pair=None, date_from=None, date_to=None)
        ),
        loaded_at=time.monotonic(),
    )
    with _lock:
        _snapshots[key] = loaded
    return loaded


def invalidate(session: Session) -> None:
    """Drop this database's snapshot (call after reference data changed and committed)."""
    with _lock:
        _snapshots.pop(_key(session), None)


def _group(parameters: list[Parameter]) -> dict[str, list[Parameter]]:
    grouped: dict[str, list[Parameter]] = {}
    for parameter in parameters:
        grouped.setdefault(parameter.name, []).append(parameter)
    return grouped


def _group_rates(rates: list[ReferenceRate]) -> dict[str, list[ReferenceRate]]:
    grouped: dict[str, list[ReferenceRate]] = {}
    for rate in rates:
        grouped.setdefault(rate.pair, []).append(rate)
    return grouped
