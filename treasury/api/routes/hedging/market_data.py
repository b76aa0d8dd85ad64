"""Market-data snapshots: store a day's market, list the dates, read one (DESIGN §4.3)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from hedging.market_data import snapshot_to_document
from hedging.service import markets as service
from treasury.api.deps import Reader, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    problem_responses,
)
from treasury.db.paging import sequence_page

router = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)


@router.post(
    "/v1/market-data/snapshots",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def add_snapshot(
    principal: Writer,
    uow_factory: UowFactoryDep,
    document: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "as_of": "2026-11-26",
                    "spots": {"USDCNY": "7.0850"},
                    "curves": {"USD": [{"tenor": "1M", "rate": "0.0410"}]},
                    "swap_points": {"USDCNY": [{"tenor": "1M", "points": "-0.0160"}]},
                    "vols": {
                        "USDCNY": [
                            {"tenor": "1M", "atm": "0.045", "rr25": "0.004", "bf25": "0.002"}
                        ]
                    },
                }
            ]
        ),
    ],
) -> dict[str, Any]:
    """Store a day's spots, deposit curves, swap points and vol quotes (one snapshot per as_of)."""
    snapshot = service.add_snapshot(
        uow_factory(), tenant_id=tenant_of(principal), document=document, actor=principal.name
    )
    return snapshot_to_document(snapshot)


class SnapshotList(ItemPage[date]):
    """A page of the dates with a snapshot, newest first."""


@router.get("/v1/market-data/snapshots", response_model=SnapshotList, responses=CSV_RESPONSE)
def list_snapshots(principal: Reader, uow_factory: UowFactoryDep, query: ListQueryDep) -> Response:
    """The tenant's snapshot dates, newest first (CSV: one `as_of` column)."""
    dates = service.snapshot_dates(uow_factory(), tenant_id=tenant_of(principal))
    page = sequence_page(dates, key=lambda on: (on,), page=query.page, descending=True)
    return respond(query, page, lambda on: on, SnapshotList, scalar_column="as_of")


@router.get("/v1/market-data/snapshots/{as_of}")
def get_snapshot(as_of: date, principal: Reader, uow_factory: UowFactoryDep) -> dict[str, Any]:
    """One snapshot's document."""
    snapshot = service.get_snapshot(uow_factory(), tenant_id=tenant_of(principal), as_of=as_of)
    return snapshot_to_document(snapshot)
