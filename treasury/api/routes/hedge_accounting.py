"""`GET /v1/hedge-accounting`: per hedge of an entity for a period, the fair-value change, its
effective and ineffective parts (cash-flow designations) and the reserve recycled on settlement;
JSON, or CSV with `Accept: text/csv`."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel

from hedging.accounting import HedgeAccounting
from hedging.service import markets as service
from treasury.api.deps import Reader, UowFactoryDep, tenant_of
from treasury.api.wire import COMMON_PROBLEMS
from treasury.money import Money

router = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)
CURRENCY = "CNY"
AMOUNTS = (
    "opening_value",
    "closing_value",
    "settled",
    "fair_value_change",
    "effective",
    "ineffective",
    "recycled",
)


class HedgeAccountingLine(BaseModel):
    """One hedge: CNY decimal strings; `effective`, `ineffective`, `recycled` and the
    effectiveness only for a cash-flow designation (null otherwise: its change is profit or
    loss)."""

    hedge_id: str
    instrument_type: str
    designation: str
    status: str
    opening_value: str
    closing_value: str
    settled: str
    fair_value_change: str
    effective: str | None
    ineffective: str | None
    recycled: str | None
    dollar_offset: str | None
    highly_effective: bool | None

    @classmethod
    def of(cls, line: HedgeAccounting) -> HedgeAccountingLine:
        """Render one hedge."""
        amounts = {name: _cny(getattr(line, name)) for name in AMOUNTS}
        return cls(
            hedge_id=line.terms.hedge_id,
            instrument_type=line.terms.instrument_type,
            designation=line.terms.designation,
            status=line.terms.status,
            dollar_offset=None if line.dollar_offset is None else str(line.dollar_offset),
            highly_effective=line.highly_effective,
            **amounts,
        )


class HedgeAccountingReport(BaseModel):
    """The entity's hedges for the period, with totals (CNY)."""

    entity_id: str
    period_from: date
    period_to: date
    currency: str
    items: list[HedgeAccountingLine]
    total: int
    totals: dict[str, str]


def _cny(minor: int | None) -> str | None:
    return None if minor is None else Money.from_minor(minor, CURRENCY).to_wire()


@router.get(
    "/v1/hedge-accounting",
    response_model=HedgeAccountingReport,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON or CSV"}},
)
def hedge_accounting(
    principal: Reader,
    uow_factory: UowFactoryDep,
    entity_id: str,
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
    accept: Annotated[str | None, Header()] = None,
) -> HedgeAccountingReport | Response:
    """Per hedge of the entity: fair-value change in the period, effective and ineffective parts,
    recycled on settlement, the dollar-offset result (80–125 %)."""
    lines = service.hedge_accounting(
        uow_factory(),
        tenant_id=tenant_of(principal),
        entity_id=entity_id,
        period_from=period_from,
        period_to=period_to,
    )
    totals = {
        name: _cny(sum(getattr(line, name) or 0 for line in lines)) or "0.00" for name in AMOUNTS
    }
    report = HedgeAccountingReport(
        entity_id=entity_id,
        period_from=period_from,
        period_to=period_to,
        currency=CURRENCY,
        items=[HedgeAccountingLine.of(line) for line in lines],
        total=len(lines),
        totals=totals,
    )
    if accept is not None and "text/csv" in accept:
        return as_csv(report)
    return report


def as_csv(report: HedgeAccountingReport) -> Response:
    """One row per hedge, the JSON items' fields as columns."""
    buffer = io.StringIO()
    fields = list(HedgeAccountingLine.model_fields)
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for item in report.items:
        writer.writerow({key: "" if value is None else value for key, value in item})
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
