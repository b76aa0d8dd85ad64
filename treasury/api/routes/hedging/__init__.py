"""Market data, exposures, hedges, revaluations, valuations and effectiveness, the hedge-ratio
report and hedge accounting: one module per resource, one router for the application."""

from __future__ import annotations

from fastapi import APIRouter

from treasury.api.routes import hedge_accounting
from treasury.api.routes.hedging import (
    exposures,
    hedges,
    market_data,
    ratios,
    revaluations,
    valuations,
)
from treasury.api.wire import COMMON_PROBLEMS

router = APIRouter()
# POST /v1/hedges/revaluations before the hedges' /v1/hedges/{hedge_id} paths (as it was).
for part in (market_data, exposures, revaluations, hedges, valuations, ratios):
    router.include_router(part.router)
# Hedge accounting under this group's tag and problems, as when it was included here before.
_accounting = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)
_accounting.include_router(hedge_accounting.router)
router.include_router(_accounting)
