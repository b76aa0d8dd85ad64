"""Pool sweeps (run, list, forecast) and interest posting (DESIGN §4.3 Pools)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from pooling.service import interest_posting, sweeps
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    MoneyOut,
    StrictModel,
    problem_responses,
)
from treasury.calendars import default_calendars

router = APIRouter(prefix="/v1/pools", tags=["pools"], responses=COMMON_PROBLEMS)


class SweepIn(StrictModel):
    """The business date to sweep."""

    business_date: date


class LegOut(BaseModel):
    """A leg of a run."""

    account_id: str
    amount: MoneyOut
    requested: MoneyOut
    direction: str
    cross_border: bool
    status: str
    transfer_id: str | None = None
    reason: str | None = None


class SweepRunOut(BaseModel):
    """A run."""

    id: str
    pool_id: str
    business_date: date
    value_date: date
    status: str
    late: bool
    legs: list[LegOut]
    journal_entry_id: str | None
    intercompany_entry_id: str | None

    @classmethod
    def of(cls, run: sweeps.SweepRun) -> SweepRunOut:
        """Render a run."""
        return cls(
            id=run.id,
            pool_id=run.pool_id,
            business_date=run.business_date,
            value_date=run.value_date,
            status=run.status,
            late=run.late,
            legs=[_leg_out(leg) for leg in run.legs],
            journal_entry_id=run.journal_entry_id,
            intercompany_entry_id=run.intercompany_entry_id,
        )


def _leg_out(leg: sweeps.SweepLeg) -> LegOut:
    return LegOut(
        account_id=leg.account_id,
        amount=MoneyOut.of(leg.amount),
        requested=MoneyOut.of(leg.requested),
        direction=leg.direction.value,
        cross_border=leg.cross_border,
        status=leg.status.value,
        transfer_id=leg.transfer_id,
        reason=leg.reason,
    )


@router.post(
    "/{pool_id}/sweeps",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "the run of that date, made before; nothing posted"}},
)
def run_sweep(
    pool_id: str,
    body: SweepIn,
    response: Response,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> SweepRunOut:
    """Sweep the pool for a business date (201), or return that date's run (200)."""
    result = sweeps.run_sweep(
        uow_factory(),
        tenant_id=tenant_of(principal),
        pool_id=pool_id,
        business_date=body.business_date,
        actor=principal,
        calendars=default_calendars(),
        timezone=settings.timezone,
    )
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return SweepRunOut.of(result.run)


class SweepRunList(ItemPage[SweepRunOut]):
    """A page of a pool's runs, newest business date first."""


@router.get("/{pool_id}/sweeps", response_model=SweepRunList, responses=CSV_RESPONSE)
def list_sweeps(
    pool_id: str, principal: Reader, uow_factory: UowFactoryDep, query: ListQueryDep
) -> Response:
    """The pool's runs, newest business date first (in CSV, the legs as JSON text)."""
    page = sweeps.run_page(
        uow_factory(), tenant_id=tenant_of(principal), pool_id=pool_id, page=query.page
    )
    return respond(query, page, SweepRunOut.of, SweepRunList)


class ForecastLegOut(LegOut):
    """A leg a run would post, with its effect on each quota (CNY, + uses headroom)."""

    quota_effects: dict[str, str]
    route: dict[str, Any] | None = Field(
        default=None,
        description="the rail a cross-border leg would take (the router's choice), else null",
    )


class QuotaForecastOut(BaseModel):
    """A quota before and after the forecast legs."""

    kind: str
    limit: str
    used_before: str
    used_after: str


class ForecastOut(BaseModel):
    """What a run would post now; nothing is posted."""

    business_date: date
    value_date: date
    legs: list[ForecastLegOut]
    quotas: list[QuotaForecastOut]


@router.get("/{pool_id}/sweep-forecast")
def sweep_forecast(
    pool_id: str,
    business_date: date,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> ForecastOut:
    """The legs a run for `business_date` would post, with their quota effects."""
    forecast = sweeps.sweep_forecast(
        uow_factory(),
        tenant_id=tenant_of(principal),
        pool_id=pool_id,
        business_date=business_date,
        calendars=default_calendars(),
        timezone=settings.timezone,
    )
    after = {view.kind: view for view in forecast.quotas_after}
    return ForecastOut(
        business_date=forecast.business_date,
        value_date=forecast.value_date,
        legs=[
            ForecastLegOut(
                **_leg_out(leg).model_dump(),
                quota_effects={kind.value: f"{change:.2f}" for kind, change in effects.items()},
                route=route,
            )
            for leg, effects, route in forecast.legs
        ],
        quotas=[
            QuotaForecastOut(
                kind=view.kind.value,
                limit=f"{view.limit:.2f}",
                used_before=f"{view.used:.2f}",
                used_after=f"{after[view.kind].used:.2f}",
            )
            for view in forecast.quotas_before
        ],
    )


class InterestRunIn(StrictModel):
    """The period end to post interest to."""

    period_end: date


class InterestLineOut(BaseModel):
    """An entity's interest (+ earned, − owed)."""

    entity_id: str
    interest: MoneyOut


class InterestPeriodOut(BaseModel):
    """Interest posted for a period."""

    id: str
    pool_id: str
    period_start: date
    period_end: date
    journal_entry_id: str | None
    lines: list[InterestLineOut]


@router.post(
    "/{pool_id}/interest",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "that period, posted before"}, **problem_responses(409)},
)
def post_interest(
    pool_id: str,
    body: InterestRunIn,
    response: Response,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> InterestPeriodOut:
    """Post the interest accrued up to `period_end` (201), or return that period (200)."""
    period = interest_posting.post_interest(
        uow_factory(),
        tenant_id=tenant_of(principal),
        actor=principal.name,
        pool_id=pool_id,
        period_end=body.period_end,
        timezone=settings.timezone,
    )
    if not period.created:
        response.status_code = status.HTTP_200_OK
    return InterestPeriodOut(
        id=period.id,
        pool_id=period.pool_id,
        period_start=period.period_start,
        period_end=period.period_end,
        journal_entry_id=period.journal_entry_id,
        lines=[
            InterestLineOut(entity_id=line.entity_id, interest=MoneyOut.of(line.interest))
            for line in period.lines
        ],
    )
