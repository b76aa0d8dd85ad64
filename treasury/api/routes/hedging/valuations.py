"""A hedge's value on a date and its effectiveness tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from hedging.service import effectiveness
from hedging.service.effectiveness import Verdict, verdict_of
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, business_today, tenant_of
from treasury.api.routes.fx import GreeksOut
from treasury.api.wire import (
    COMMON_PROBLEMS,
    MoneyOut,
    money_out,
)

router = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)


class ValuationOut(BaseModel):
    """A hedge's value on a date."""

    hedge_id: str
    as_of: date
    snapshot_as_of: date
    npv: MoneyOut
    forward_rate: str
    greeks: GreeksOut | None
    stored_npv: MoneyOut | None


@router.get("/v1/hedges/{hedge_id}/valuation")
def hedge_valuation(
    hedge_id: str,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    as_of: date | None = None,
) -> ValuationOut:
    """The hedge priced on `as_of` (default today) from the latest snapshot on or before it."""
    uow = uow_factory()
    on = as_of
    if on is None:
        with uow:
            on = business_today(settings, uow)
    found = effectiveness.valuation(
        uow_factory(), tenant_id=tenant_of(principal), hedge_id=hedge_id, as_of=on
    )
    return ValuationOut(
        hedge_id=found.hedge_id,
        as_of=found.as_of,
        snapshot_as_of=found.snapshot_as_of,
        npv=MoneyOut.of(found.npv),
        forward_rate=str(found.forward_rate),
        greeks=GreeksOut.of(found.greeks, found.pair),
        stored_npv=money_out(found.stored_npv),
    )


class HistoryPoint(BaseModel):
    """A stored valuation of the hedge and of its hedged item."""

    as_of: date
    hedge: MoneyOut
    hedged_item: MoneyOut


class DollarOffsetOut(BaseModel):
    """Cumulative dollar offset (effective within 80–125 %); null `effective` with verdict
    `not_enough_observations` until there are two valuations and the item has moved."""

    hedge_change: str
    item_change: str
    ratio: str | None
    effective: bool | None
    verdict: Verdict


class RegressionOut(BaseModel):
    """Regression of period changes (R² ≥ 0.8, slope in [−1.25, −0.8], enough observations)."""

    observations: int
    observations_needed: int
    slope: str | None
    intercept: str | None
    r_squared: str | None
    effective: bool | None = Field(description="null until `observations_needed` are there")
    verdict: Verdict


class EffectivenessOut(BaseModel):
    """Both tests over the stored history."""

    hedge_id: str
    designation: str
    locked_rate: str | None
    history: list[HistoryPoint]
    dollar_offset: DollarOffsetOut
    regression: RegressionOut
    effective: bool | None = Field(description="null: not enough observations yet to judge")
    verdict: Verdict
    detail: str
    detail_zh: str


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@router.get("/v1/hedges/{hedge_id}/effectiveness")
def hedge_effectiveness(
    hedge_id: str, principal: Reader, uow_factory: UowFactoryDep
) -> EffectivenessOut:
    """Dollar offset and regression for a designated (cash-flow) hedge."""
    found = effectiveness.assess(uow_factory(), tenant_id=tenant_of(principal), hedge_id=hedge_id)
    offset, fitted = found.dollar_offset, found.regression
    return EffectivenessOut(
        hedge_id=found.hedge_id,
        designation=found.designation,
        locked_rate=_text(found.locked_rate),
        history=[
            HistoryPoint(as_of=d, hedge=MoneyOut.of(h), hedged_item=MoneyOut.of(i))
            for d, h, i in found.history
        ],
        dollar_offset=DollarOffsetOut(
            hedge_change=str(offset.hedge_change),
            item_change=str(offset.item_change),
            ratio=_text(offset.ratio),
            effective=offset.effective,
            verdict=verdict_of(offset.effective),
        ),
        regression=RegressionOut(
            observations=fitted.observations,
            observations_needed=fitted.observations_needed,
            slope=_text(fitted.slope),
            intercept=_text(fitted.intercept),
            r_squared=_text(fitted.r_squared),
            effective=fitted.effective,
            verdict=verdict_of(fitted.effective),
        ),
        effective=found.effective,
        verdict=verdict_of(found.effective),
        **_effectiveness_detail(found),
    )


def _effectiveness_detail(found: effectiveness.Effectiveness) -> dict[str, str]:
    """What the verdict means, in English and Chinese."""
    fitted = found.regression
    if found.effective is None:
        have, need = fitted.observations, fitted.observations_needed
        return {
            "detail": f"not enough observations yet: {have} of the {need} the regression needs",
            "detail_zh": f"观察值尚不足：回归需要 {need} 个，目前 {have} 个",
        }
    if found.effective:
        return {
            "detail": "effective: dollar offset within 80–125 % and the regression passes",
            "detail_zh": "有效：比率分析在 80%–125% 之内，回归分析通过",
        }
    return {
        "detail": "ineffective: the dollar offset or the regression fails its bounds",
        "detail_zh": "无效：比率分析或回归分析超出界限",
    }
