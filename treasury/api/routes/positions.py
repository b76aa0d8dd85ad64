"""The group view and the liquidity ladder (DESIGN §4.4): what the treasurer's pages show."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from positions import service
from positions.model import GroupBy, LadderRow
from positions.service import CashPositions, Ladder
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, tenant_of
from treasury.api.routes.pools import QuotaOut
from treasury.api.wire import COMMON_PROBLEMS, MoneyOut, money_out
from treasury.calendars import default_calendars
from treasury.clock import today
from treasury.errors import ValidationFailed

router = APIRouter(tags=["positions"], responses=COMMON_PROBLEMS)

CSV_MEDIA_TYPE = "text/csv"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class RateOut(BaseModel):
    """The reference rate a currency's CNY equivalent uses."""

    currency: str
    pair: str
    rate: str = Field(description="CNY per unit of the currency (inverse of CNYXXX if so quoted)")
    rate_date: date | None
    stale: bool


class GroupOut(BaseModel):
    """One key's accounts in one currency."""

    key: str
    label: str
    currency: str
    accounts: int
    balance: MoneyOut
    available: MoneyOut = Field(description="balance − held")
    held: MoneyOut = Field(description="reserved now by transfers held for review")
    cny_equivalent: MoneyOut | None = Field(description="null when no reference rate is loaded")
    rate_date: date | None = Field(description="the reference rate's date (null for CNY)")


class KeyTotalOut(BaseModel):
    """A key's groups added up in CNY."""

    key: str
    label: str
    cny_equivalent: MoneyOut | None


class PoolOut(BaseModel):
    """A pool's master balance and quota headroom as of the view's date."""

    pool_id: str
    name: str
    regime: str
    master_balance: MoneyOut
    members: int
    quotas: list[QuotaOut]
    alerts: list[str]


class HedgeTotalOut(BaseModel):
    """Live hedges of a pair: their latest valuations added up."""

    pair: str
    hedges: int
    valued: int = Field(description="hedges with a valuation on or before as_of")
    mtm: MoneyOut
    cny_equivalent: MoneyOut | None
    latest_valuation: date | None


class CashPositionsOut(BaseModel):
    """The group view."""

    as_of: date
    group_by: str
    groups: list[GroupOut]
    key_totals: list[KeyTotalOut]
    total_cny: MoneyOut = Field(description="every currency converted once at its rate")
    stale_rates: list[str] = Field(description="pairs older than the age limit")
    missing_rates: list[str] = Field(description="currencies left out of total_cny: no rate")
    rates: list[RateOut]
    rate_max_age_business_days: int
    pools: list[PoolOut]
    hedges: list[HedgeTotalOut]
    hedge_mtm_cny: MoneyOut

    @classmethod
    def of(cls, view: CashPositions) -> CashPositionsOut:
        """Render the group view."""
        return cls(
            as_of=view.as_of,
            group_by=view.group_by.value,
            groups=[
                GroupOut(
                    key=g.key,
                    label=g.label,
                    currency=g.currency,
                    accounts=g.accounts,
                    balance=MoneyOut.of(g.balance),
                    available=MoneyOut.of(g.available),
                    held=MoneyOut.of(g.held),
                    cny_equivalent=money_out(g.cny_equivalent),
                    rate_date=None if g.rate is None else g.rate.rate_date,
                )
                for g in view.groups
            ],
            key_totals=[
                KeyTotalOut(key=k.key, label=k.label, cny_equivalent=money_out(k.cny_equivalent))
                for k in view.key_totals
            ],
            total_cny=MoneyOut.of(view.total_cny),
            stale_rates=list(view.stale_rates),
            missing_rates=list(view.missing_rates),
            rates=[
                RateOut(
                    currency=r.currency,
                    pair=r.pair,
                    rate=str(r.rate),
                    rate_date=r.rate_date,
                    stale=r.stale,
                )
                for r in view.rates
            ],
            rate_max_age_business_days=view.max_rate_age,
            pools=[_pool(pool) for pool in view.pools],
            hedges=[
                HedgeTotalOut(
                    pair=h.pair,
                    hedges=h.hedges,
                    valued=h.valued,
                    mtm=MoneyOut.of(h.mtm),
                    cny_equivalent=money_out(h.cny_equivalent),
                    latest_valuation=h.latest_valuation,
                )
                for h in view.hedges
            ],
            hedge_mtm_cny=MoneyOut.of(view.hedge_mtm_cny),
        )


def _pool(pool: service.PoolHeadroom) -> PoolOut:
    return PoolOut(
        pool_id=pool.pool_id,
        name=pool.name,
        regime=pool.regime,
        master_balance=MoneyOut.of(pool.master_balance),
        members=pool.members,
        quotas=[QuotaOut.of(q) for q in pool.quotas],
        alerts=list(pool.alerts),
    )


class FlowOut(BaseModel):
    """A source's money in and out on the day."""

    source: str
    inflows: str
    outflows: str


class LadderRowOut(BaseModel):
    """One currency on one day."""

    date: date
    currency: str
    business_day: bool = Field(description="a China interbank (CN_IB) business day")
    opening: str
    inflows: str
    outflows: str
    closing: str = Field(description="opening + inflows − outflows; the next day's opening")
    sources: list[FlowOut]

    @classmethod
    def of(cls, row: LadderRow) -> LadderRowOut:
        """Render a ladder row (amounts in the row's currency)."""
        return cls(
            date=row.day,
            currency=row.currency,
            business_day=row.business_day,
            opening=row.opening.to_wire(),
            inflows=row.inflows.to_wire(),
            outflows=row.outflows.to_wire(),
            closing=row.closing.to_wire(),
            sources=[
                FlowOut(source=source.value, inflows=i.to_wire(), outflows=o.to_wire())
                for source, (i, o) in row.by_source.items()
            ],
        )


class LadderOut(BaseModel):
    """The liquidity ladder: calendar days, each currency opening at yesterday's closing."""

    date_from: date = Field(alias="from")
    to: date
    days: int
    rows: list[LadderRowOut]

    model_config = {"populate_by_name": True}

    @classmethod
    def of(cls, ladder: Ladder, days: int) -> LadderOut:
        """Render the ladder."""
        return cls(
            date_from=ladder.first,
            to=ladder.last,
            days=days,
            rows=[LadderRowOut.of(row) for row in ladder.rows],
        )


def refuse_unknown(request: Request, known: set[str]) -> None:
    """422 for a query parameter the endpoint does not take (a typo must not pass silently)."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ValidationFailed(f"unknown query parameter(s): {', '.join(unknown)}")


def wants_csv(request: Request, format_: str | None) -> bool:
    """`?format=csv` or an Accept header that prefers text/csv."""
    if format_ is not None:
        if format_ not in ("csv", "json"):
            raise ValidationFailed("format must be csv or json")
        return format_ == "csv"
    accept = request.headers.get("accept", "")
    return CSV_MEDIA_TYPE in accept and "application/json" not in accept


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) and not _numeric(text) else text


def _numeric(text: str) -> bool:
    return text.lstrip("-").replace(".", "", 1).isdigit()


def positions_csv(view: CashPositions) -> Response:
    """The groups as CSV, one row per key and currency, then the CNY total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "as_of",
            "group_by",
            "key",
            "label",
            "currency",
            "accounts",
            "balance",
            "held",
            "available",
            "cny_equivalent",
            "rate",
            "rate_date",
            "rate_stale",
        ]
    )
    for g in view.groups:
        writer.writerow(
            _cell(value)
            for value in (
                view.as_of.isoformat(),
                view.group_by.value,
                g.key,
                g.label,
                g.currency,
                g.accounts,
                g.balance.to_wire(),
                g.held.to_wire(),
                g.available.to_wire(),
                None if g.cny_equivalent is None else g.cny_equivalent.to_wire(),
                None if g.rate is None else g.rate.rate,
                None if g.rate is None or g.rate.rate_date is None else g.rate.rate_date,
                "" if g.rate is None else str(g.rate.stale).lower(),
            )
        )
    name = f"cash-positions-{view.as_of.isoformat()}-{view.group_by.value}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _group_by(value: str) -> GroupBy:
    try:
        return GroupBy(value)
    except ValueError as error:
        choices = ", ".join(g.value for g in GroupBy)
        raise ValidationFailed(f"group_by must be one of {choices}") from error


@router.get(
    "/v1/cash-positions",
    responses={200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def cash_positions(
    request: Request,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    as_of: Annotated[date | None, Query(description="value date; default today")] = None,
    group_by: Annotated[
        str, Query(description="entity | currency | bank | country", pattern="^[a-z]{1,20}$")
    ] = "currency",
    format_: Annotated[str | None, Query(alias="format", description="csv or json")] = None,
) -> Any:
    """Balances by value date across the group's bank accounts, grouped, with available and
    held, CNY equivalents at the reference rate (its date; stale rates listed), the pools'
    quota headroom and the hedges' MTM."""
    refuse_unknown(request, {"as_of", "group_by", "format"})
    chosen = _group_by(group_by)
    as_csv = wants_csv(request, format_)
    uow = uow_factory.read_only()
    view = service.cash_positions(
        uow,
        tenant_id=tenant_of(principal),
        as_of=as_of or today(uow.clock, settings.timezone),
        group_by=chosen,
    )
    return positions_csv(view) if as_csv else CashPositionsOut.of(view)


@router.get("/v1/liquidity-ladder")
def liquidity_ladder(
    request: Request,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    date_from: Annotated[
        date | None, Query(alias="from", description="first day; default today")
    ] = None,
    days: Annotated[
        int, Query(ge=1, le=service.MAX_LADDER_DAYS, description="calendar days, default 14")
    ] = service.DEFAULT_LADDER_DAYS,
) -> LadderOut:
    """Per calendar day and currency: opening, inflows, outflows (booked movements valued that
    day, held transfers, each pool's next sweep, hedges settling at maturity) and closing."""
    refuse_unknown(request, {"from", "days"})
    uow = uow_factory.read_only()
    today_ = today(uow.clock, settings.timezone)
    ladder = service.liquidity_ladder(
        uow,
        tenant_id=tenant_of(principal),
        first=date_from or today_,
        days=days,
        today_=today_,
        calendars=default_calendars(),
    )
    return LadderOut.of(ladder, days)
