"""Regulatory reports (DESIGN §4.4): a filing's quota usage by month and an entity's
cross-border financing position, as JSON or, with `Accept: text/csv`, CSV — each with the
parameter versions and reference rates used."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from pooling.service import reports
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, tenant_of
from treasury.api.wire import COMMON_PROBLEMS

router = APIRouter(prefix="/v1/reports", tags=["regulatory reports"], responses=COMMON_PROBLEMS)
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with Accept: text/csv"}
}
Accept = Annotated[str | None, Header()]


def _cny(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


class ParameterVersionOut(BaseModel):
    """A parameter version used: value, effective date, version and source note."""

    name: str
    value: object
    effective_from: date
    version: int
    source: str

    @classmethod
    def of(cls, version: reports.ParameterVersion) -> ParameterVersionOut:
        """Render one version."""
        return cls(
            name=version.name,
            value=version.value,
            effective_from=version.effective_from,
            version=version.version,
            source=version.source,
        )


class RateOut(BaseModel):
    """A reference rate used."""

    pair: str
    date: date
    rate: str


def _rates(rates: Iterable[reports.RateUsed]) -> list[RateOut]:
    return [RateOut(pair=r.pair, date=r.rate_date, rate=str(r.rate)) for r in rates]


class QuotaDayOut(BaseModel):
    """One quota on one value date: CNY decimal strings."""

    date: date
    kind: str
    limit: str
    used: str
    headroom: str
    parameters: list[str] = Field(description="the versions in force that day, name=value@date#v")


class PoolOut(BaseModel):
    """A pool of the filing."""

    id: str
    name: str
    currency: str


class PoolQuotaReportOut(BaseModel):
    """A filing's quotas, day by day through the month (up to today)."""

    filing_ref: str
    regime: str
    host_entity_id: str
    month: str
    currency: str = "CNY"
    pools: list[PoolOut]
    items: list[QuotaDayOut]
    parameters: list[ParameterVersionOut]
    rates: list[RateOut]


@router.get("/pool-quotas", response_model=PoolQuotaReportOut, responses=CSV)
def pool_quotas(
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    filing_ref: Annotated[str, Query(min_length=1, max_length=100)],
    month: Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", examples=["2026-11"])],
    accept: Accept = None,
) -> PoolQuotaReportOut | Response:
    """The filing's quota usage each day of `month` (YYYY-MM), shared by all its pools."""
    report = reports.pool_quota_report(
        uow_factory(),
        tenant_id=tenant_of(principal),
        filing_ref=filing_ref,
        month=month,
        timezone=settings.timezone,
    )
    out = PoolQuotaReportOut(
        filing_ref=report.filing_ref,
        regime=report.regime,
        host_entity_id=report.host_entity_id,
        month=report.month,
        pools=[PoolOut(id=i, name=n, currency=c) for i, n, c in report.pools],
        items=[
            QuotaDayOut(
                date=row.day,
                kind=row.kind.value,
                limit=_cny(row.limit),
                used=_cny(row.used),
                headroom=_cny(row.headroom),
                parameters=[version.label for version in row.parameters],
            )
            for row in report.days
        ],
        parameters=[ParameterVersionOut.of(version) for version in report.parameters],
        rates=_rates(report.rates),
    )
    if accept is not None and "text/csv" in accept:
        rows = [
            {**item.model_dump(mode="json"), "parameters": "; ".join(item.parameters)}
            for item in out.items
        ]
        return _csv(rows, list(QuotaDayOut.model_fields))
    return out


class FacilitationOut(BaseModel):
    """The certificate's USD quota and the USD face amount used against it."""

    kind: str
    area: str | None
    valid_until: date
    quota_usd: str
    used_usd: str
    headroom_usd: str


class ContractOut(BaseModel):
    """One contract outstanding on `as_of`."""

    contract_id: str
    lender: str
    kind: str
    basis: str
    currency: str
    amount: str
    outstanding: str
    drawdown_date: date
    maturity_date: date
    short_term: bool
    outstanding_cny: str
    weight: str
    risk_weighted: str


class FinancingReportOut(BaseModel):
    """An entity's position on `as_of` (CNY): cap, use and headroom of the measure that applies
    (`basis`), the macro cap and risk-weighted balance, each contract, the facilitation quota."""

    entity_id: str
    entity_code: str
    as_of: date
    mode: str
    basis: str
    currency: str = "CNY"
    cap: str
    used: str
    headroom: str
    macro_cap: str
    macro_used: str
    facilitation: FacilitationOut | None
    items: list[ContractOut]
    parameters: list[ParameterVersionOut]
    rates: list[RateOut]


@router.get("/cross-border-financing", response_model=FinancingReportOut, responses=CSV)
def cross_border_financing(
    principal: Reader,
    uow_factory: UowFactoryDep,
    entity_id: Annotated[str, Query(min_length=1, max_length=64)],
    as_of: date,
    accept: Accept = None,
) -> FinancingReportOut | Response:
    """The entity's cross-border financing position on `as_of`, contract by contract."""
    report = reports.financing_report(
        uow_factory(), tenant_id=tenant_of(principal), entity_id=entity_id, as_of=as_of
    )
    out = _financing_out(report)
    if accept is not None and "text/csv" in accept:
        return _financing_csv(out)
    return out


def _financing_out(report: reports.FinancingReport) -> FinancingReportOut:
    status, view = report.status, report.status.facilitation
    return FinancingReportOut(
        entity_id=report.entity_id,
        entity_code=report.entity_code,
        as_of=status.as_of,
        mode=status.mode.value,
        basis=status.basis,
        cap=_cny(status.headroom.cap),
        used=_cny(status.headroom.used),
        headroom=_cny(status.headroom.headroom),
        macro_cap=_cny(status.macro_cap),
        macro_used=_cny(status.macro_used),
        facilitation=None
        if view is None
        else FacilitationOut(
            kind=view.kind,
            area=view.area,
            valid_until=view.valid_until,
            quota_usd=_cny(view.quota_usd),
            used_usd=_cny(view.used_usd),
            headroom_usd=_cny(view.headroom_usd),
        ),
        items=[_contract_out(line) for line in report.contracts],
        parameters=[ParameterVersionOut.of(version) for version in report.parameters],
        rates=_rates(report.rates),
    )


def _contract_out(line: reports.ContractLine) -> ContractOut:
    contract = line.contract
    return ContractOut(
        contract_id=contract.id,
        lender=line.lender,
        kind=contract.kind.value,
        basis=contract.basis.value,
        currency=contract.currency,
        amount=str(contract.amount),
        outstanding=str(line.outstanding),
        drawdown_date=contract.drawdown_date,
        maturity_date=contract.maturity_date,
        short_term=line.position.short_term,
        outstanding_cny=_cny(line.position.outstanding_cny),
        weight=str(line.position.weight),
        risk_weighted=_cny(line.position.risk_weighted),
    )


def _financing_csv(out: FinancingReportOut) -> Response:
    """One row per contract, then a `TOTAL` row with the cap, use, headroom and the parameter
    versions used."""
    fields = [*ContractOut.model_fields, "cap", "used", "headroom", "parameters"]
    rows: list[Mapping[str, object]] = [item.model_dump(mode="json") for item in out.items]
    rows.append(
        {
            "contract_id": "TOTAL",
            "risk_weighted": out.macro_used,
            "cap": out.cap,
            "used": out.used,
            "headroom": out.headroom,
            "parameters": "; ".join(
                f"{p.name}={json.dumps(p.value, ensure_ascii=False)}@{p.effective_from}#{p.version}"
                for p in out.parameters
            ),
        }
    )
    return _csv(rows, fields)


def _csv(rows: Iterable[Mapping[str, object]], fields: list[str]) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
