"""Regulatory reports a compliance officer files or checks (DESIGN §4.4; issue 12 item 13).

- A filing's quota usage by month: each day's limit, use and headroom of every quota the filing
  shares across its pools and currencies (regulation.md §1.4–§1.5), as of that value date.
- An entity's cross-border financing position on a date: the cap, each contract's outstanding
  amount, weight and risk-weighted balance, the headroom and the facilitation quota (§2).

Each names the parameter versions (value, effective date, version, source) and the reference
rates it used, so a figure can be traced to the rule behind it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from pooling import positions as reading
from pooling import repository
from pooling.cross_border_financing import Contract
from pooling.financing_status import (
    FINANCING_PARAMETERS,
    ContractPosition,
    FinancingStatus,
    load_contracts,
    status_on,
)
from pooling.parameters import in_force, rate_used, versions_in_force
from pooling.quotas import QUOTA_PARAMETERS, QuotaKind
from treasury.accounts import repository as accounts_repository
from treasury.clock import today
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import DateNotReached, NotFound, ValidationFailed


@dataclass(frozen=True)
class ParameterVersion:
    """A parameter version a report used."""

    name: str
    value: object
    effective_from: date
    version: int
    source: str

    @property
    def label(self) -> str:
        """`name=value@effective_from#version` (the CSV form)."""
        return f"{self.name}={self.value}@{self.effective_from}#{self.version}"


@dataclass(frozen=True)
class RateUsed:
    """A reference rate a report used."""

    pair: str
    rate_date: date
    rate: Decimal


@dataclass(frozen=True)
class QuotaDay:
    """One quota on one value date (CNY)."""

    day: date
    kind: QuotaKind
    limit: Decimal
    used: Decimal
    parameters: tuple[ParameterVersion, ...]

    @property
    def headroom(self) -> Decimal:
        """limit − used (negative when a parameter cut left the filing over it)."""
        return self.limit - self.used


@dataclass(frozen=True)
class PoolQuotaReport:
    """A filing's quotas, day by day through a month (up to today)."""

    filing_ref: str
    regime: str
    host_entity_id: str
    month: str
    pools: tuple[tuple[str, str, str], ...]  # (pool id, name, currency)
    days: tuple[QuotaDay, ...]
    parameters: tuple[ParameterVersion, ...]
    rates: tuple[RateUsed, ...]


def _versions(session: Session, names: tuple[str, ...], on: date) -> tuple[ParameterVersion, ...]:
    return tuple(ParameterVersion(*found) for found in versions_in_force(session, names, on))


def _distinct(items: Iterable[ParameterVersion]) -> tuple[ParameterVersion, ...]:
    seen: dict[tuple[str, date, int], ParameterVersion] = {}
    for item in items:
        seen.setdefault((item.name, item.effective_from, item.version), item)
    return tuple(sorted(seen.values(), key=lambda v: (v.name, v.effective_from, v.version)))


def month_days(month: str, last_day: date) -> list[date]:
    """The days of `YYYY-MM` up to `last_day`.

    Raises:
        ValidationFailed: not a month.
        DateNotReached: a month after `last_day`.
    """
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError as error:
        raise ValidationFailed(f"month {month!r} must be YYYY-MM") from error
    if first > last_day:
        raise DateNotReached(f"month {month} is after {last_day}: nothing to report yet")
    end = min(date(year, number, calendar.monthrange(year, number)[1]), last_day)
    return [first + timedelta(days=n) for n in range((end - first).days + 1)]


def pool_quota_report(
    uow: UnitOfWork, *, tenant_id: str, filing_ref: str, month: str, timezone: str
) -> PoolQuotaReport:
    """The filing's quota usage through `month`, each day as of its value date.

    Raises:
        NotFound: no pool of the tenant is filed under `filing_ref`.
        ValidationFailed: a malformed month, or one after today.
    """
    with uow:
        session = uow.session
        pools = repository.filing_pool_rows(session, tenant_id, filing_ref)
        if not pools:
            raise NotFound(f"no pool is filed under {filing_ref}")
        days = month_days(month, today(uow.clock, timezone))
        first_pool = min(pool.created_on for pool in pools)
        state = reading.load_state(session, pools[0])
        names = QUOTA_PARAMETERS.get(pools[0].regime, ())
        rows: list[QuotaDay] = []
        rates: dict[tuple[str, date], RateUsed] = {}
        for day in (d for d in days if d >= first_pool):
            book = reading.quota_book(session, state, in_force(session, day), day, day)
            if book is None:
                break  # a domestic pool has no quotas
            used = _versions(session, names, day)
            rows += [
                QuotaDay(day, quota.kind, quota.limit, book.used(quota.kind), used)
                for quota in book.quotas
            ]
            for currency in book.holdings:
                found = rate_used(session, currency, day)
                if found is not None:
                    rates.setdefault((found[0], found[1]), RateUsed(*found))
        return PoolQuotaReport(
            filing_ref=filing_ref,
            regime=pools[0].regime,
            host_entity_id=pools[0].host_entity_id,
            month=month,
            pools=tuple((pool.id, pool.name, pool.currency) for pool in pools),
            days=tuple(rows),
            parameters=_distinct(version for row in rows for version in row.parameters),
            rates=tuple(sorted(rates.values(), key=lambda r: (r.pair, r.rate_date))),
        )


@dataclass(frozen=True)
class ContractLine:
    """One contract outstanding on the report date."""

    contract: Contract
    lender: str
    outstanding: Decimal
    position: ContractPosition  # outstanding in CNY, term, weight, risk-weighted balance


@dataclass(frozen=True)
class FinancingReport:
    """An entity's cross-border financing position on a date."""

    entity_id: str
    entity_code: str
    status: FinancingStatus
    contracts: tuple[ContractLine, ...]
    parameters: tuple[ParameterVersion, ...]
    rates: tuple[RateUsed, ...]


def financing_report(
    uow: UnitOfWork, *, tenant_id: str, entity_id: str, as_of: date
) -> FinancingReport:
    """Cap, each contract's risk-weighted balance and headroom on `as_of`.

    Raises:
        NotFound: no such entity of the tenant.
    """
    with uow:
        session = uow.session
        row = accounts_repository.get_entity_row(session, tenant_id, entity_id)
        if row is None:
            raise NotFound(f"entity {entity_id} not found")
        entity = accounts_repository.to_entity(row)
        contracts = load_contracts(session, entity_id)
        status = status_on(session, entity, as_of, contracts)
        lenders = repository.foreign_debt_lenders(session, entity_id)
        by_id = {contract.id: contract for contract in contracts}
        lines = tuple(
            ContractLine(
                contract=by_id[p.contract_id],
                lender=lenders[p.contract_id],
                outstanding=by_id[p.contract_id].outstanding(as_of),
                position=p,
            )
            for p in status.contracts
        )
        return FinancingReport(
            entity_id=entity.id,
            entity_code=entity.code,
            status=status,
            contracts=lines,
            parameters=_versions(session, FINANCING_PARAMETERS, as_of),
            rates=_financing_rates(session, status, lines),
        )


def _financing_rates(
    session: Session, status: FinancingStatus, lines: tuple[ContractLine, ...]
) -> tuple[RateUsed, ...]:
    daily = status.parameters is not None and (
        status.parameters.texts.get("cbf.fx_conversion") == "daily"
    )
    wanted = {
        (line.contract.currency, status.as_of if daily else line.contract.drawdown_date)
        for line in lines
    }
    if status.facilitation is not None:
        wanted |= {("USD", status.as_of)} | {("USD", line.contract.drawdown_date) for line in lines}
    found = {rate_used(session, currency, on) for currency, on in wanted}
    return tuple(sorted((RateUsed(*rate) for rate in found if rate is not None), key=_rate_key))


def _rate_key(rate: RateUsed) -> tuple[str, date]:
    return rate.pair, rate.rate_date
