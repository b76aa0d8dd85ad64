"""The daily revaluation of the hedge book, run on demand (the scheduler runs the same use case)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from hedging.service import revaluation
from treasury.api.deps import SettingsDep, UowFactoryDep, Writer, business_today, tenant_of
from treasury.api.wire import (
    COMMON_PROBLEMS,
    MoneyOut,
    StrictModel,
    problem_responses,
)
from treasury.errors import DateNotReached

router = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)


class RevaluationIn(StrictModel):
    """The date to revalue."""

    as_of: date


class SetAsideOut(BaseModel):
    """A deal the run could not value or settle (it keeps its last value), and why."""

    hedge_id: str
    reason: str


class MarketDataAgeOut(BaseModel):
    """How old the run's snapshot is, in China business days, against the limit in force."""

    snapshot_as_of: date
    age_business_days: int
    limit_business_days: int
    stale: bool
    policy: str = Field(description="flag (a stale run goes ahead, flagged) or refuse")


class RevaluationOut(BaseModel):
    """A revaluation run: `partial` when deals were set aside, listed in `set_aside` by the run
    that made the decision (a replay shows the status; the audit trail keeps the list)."""

    id: str
    as_of: date
    snapshot_as_of: date
    count: int
    settled: int
    npv_total: MoneyOut
    status: str = Field(description="completed, or partial when deals were set aside")
    replayed: bool
    set_aside: list[SetAsideOut]
    market_data: MarketDataAgeOut | None = None


@router.post(
    "/v1/hedges/revaluations",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def revalue(
    body: RevaluationIn,
    response: Response,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> RevaluationOut:
    """Revalue every live hedge on `as_of` and post the changes; a re-run (200) posts nothing.

    Never a future date: it would settle deals maturing by then at today's market, against the
    bank accounts, and lock out every earlier date.
    """
    uow = uow_factory()
    if body.as_of > business_today(settings, uow):
        raise DateNotReached(f"as_of {body.as_of} is in the future", field="as_of")
    run = revaluation.revalue(uow, tenant_id=tenant_of(principal), as_of=body.as_of)
    if run.replayed:
        response.status_code = status.HTTP_200_OK
    return RevaluationOut(
        id=run.id,
        as_of=run.as_of,
        snapshot_as_of=run.snapshot_as_of,
        count=run.count,
        settled=run.settled,
        npv_total=MoneyOut.of(run.npv_total),
        status=run.status,
        replayed=run.replayed,
        set_aside=[
            SetAsideOut(hedge_id=item.hedge_id, reason=item.reason) for item in run.set_aside
        ],
        market_data=None
        if run.market_data is None
        else MarketDataAgeOut(
            snapshot_as_of=run.snapshot_as_of,
            age_business_days=run.market_data.age_business_days,
            limit_business_days=run.market_data.limit_business_days,
            stale=run.market_data.stale,
            policy=run.market_data.policy,
        ),
    )
