"""The hedge-ratio report against each entity's policy."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from hedging.service import ratios
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    MoneyOut,
)
from treasury.db.paging import sequence_page

router = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)


class RatioBucketOut(BaseModel):
    """One exposure bucket (entity, pair, direction, month) against the entity's policy."""

    entity_id: str
    pair: str
    direction: str
    month: str
    exposure: MoneyOut
    hedged: MoneyOut
    ratio: str
    policy_min: str
    policy_max: str
    within_policy: bool


class RatioReport(ItemPage[RatioBucketOut]):
    """A page of buckets by entity, pair, month and direction: those outside the policy are the
    alerts."""


@router.get("/v1/hedge-ratios", response_model=RatioReport, responses=CSV_RESPONSE)
def hedge_ratios(
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    query: ListQueryDep,
    entity_id: str | None = None,
) -> Response:
    """Actual hedge ratio per exposure bucket against each entity's (min, max) policy."""
    buckets = ratios.report(
        uow_factory(),
        tenant_id=tenant_of(principal),
        entity_id=entity_id,
        timezone=settings.timezone,
    )
    page = sequence_page(
        buckets, key=lambda b: (b.entity_id, b.pair, b.month, b.direction), page=query.page
    )
    return respond(
        query,
        page,
        lambda b: RatioBucketOut(
            entity_id=b.entity_id,
            pair=b.pair,
            direction=b.direction,
            month=b.month,
            exposure=MoneyOut.of(b.exposure),
            hedged=MoneyOut.of(b.hedged),
            ratio=str(b.ratio),
            policy_min=str(b.policy_min),
            policy_max=str(b.policy_max),
            within_policy=b.within_policy,
        ),
        RatioReport,
    )
