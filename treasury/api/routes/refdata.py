"""System-wide reference data: the operator writes, every tenant reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, field_validator

from treasury.api.deps import Operator, RefdataReader, SettingsDep, UowFactoryDep
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import COMMON_PROBLEMS, DecimalString, StrictModel, problem_responses
from treasury.clock import today
from treasury.db.paging import sequence_page
from treasury.errors import NotFound
from treasury.refdata import service
from treasury.refdata.model import BopCode, Parameter, ReferenceRate

router = APIRouter(tags=["reference data"], responses=COMMON_PROBLEMS)


class ReferenceRateIn(StrictModel):
    """An official rate of a day, e.g. the CFETS central parity."""

    date: date
    pair: str = Field(pattern=r"^[A-Z]{6}$", examples=["USDCNY"])
    rate: DecimalString
    source: str = Field(default="CFETS central parity", max_length=500)


class ReferenceRateOut(BaseModel):
    """A stored rate version."""

    date: date
    pair: str
    rate: str
    source: str
    version: int

    @classmethod
    def of(cls, rate: ReferenceRate) -> ReferenceRateOut:
        """Render a rate."""
        return cls(
            date=rate.rate_date,
            pair=rate.pair,
            rate=str(rate.rate),
            source=rate.source,
            version=rate.version,
        )


class ReferenceRateList(ItemPage[ReferenceRateOut]):
    """A page of rate versions, by pair, date and version."""


def _no_floats(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('numbers in parameter values are decimal strings, e.g. "0.8"')
    if isinstance(value, dict):
        return {key: _no_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_no_floats(item) for item in value]
    return value


class ParameterIn(StrictModel):
    """A parameter value from a date on, with its source note."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.]+$")
    value: Any
    effective_from: date
    source: str = Field(min_length=1, max_length=500)

    @field_validator("value")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        return _no_floats(value)


class ParameterOut(BaseModel):
    """A stored parameter version."""

    name: str
    value: Any
    effective_from: date
    source: str
    version: int
    loaded_at: datetime

    @classmethod
    def of(cls, parameter: Parameter) -> ParameterOut:
        """Render a parameter."""
        return cls(
            name=parameter.name,
            value=parameter.value,
            effective_from=parameter.effective_from,
            source=parameter.source,
            version=parameter.version,
            loaded_at=parameter.loaded_at,
        )


class ParameterList(ItemPage[ParameterOut]):
    """A page of parameter versions, by name, effective date and version."""


@router.post("/v1/reference-rates", status_code=status.HTTP_201_CREATED)
def add_reference_rate(
    body: ReferenceRateIn, principal: Operator, uow_factory: UowFactoryDep
) -> ReferenceRateOut:
    """Record an official rate (a new version when the day has one already)."""
    rate = service.add_reference_rate(
        uow_factory(),
        service.RateInput(pair=body.pair, rate_date=body.date, rate=body.rate, source=body.source),
        actor=principal.name,
    )
    return ReferenceRateOut.of(rate)


@router.get("/v1/reference-rates", response_model=ReferenceRateList, responses=CSV_RESPONSE)
def list_reference_rates(
    principal: RefdataReader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    pair: Annotated[str | None, Query(pattern=r"^[A-Z]{6}$")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """Stored rates, every version, by pair, date and version."""
    rates = service.reference_rates(uow_factory(), pair=pair, date_from=date_from, date_to=date_to)
    page = sequence_page(rates, key=lambda r: (r.pair, r.rate_date, r.version), page=query.page)
    return respond(query, page, ReferenceRateOut.of, ReferenceRateList)


@router.get("/v1/reference-rates/{pair}/on/{on}")
def reference_rate_on(
    pair: str, on: date, principal: RefdataReader, uow_factory: UowFactoryDep
) -> ReferenceRateOut:
    """The rate that applies on a date: the latest on or before it."""
    rate = service.reference_rate_on(uow_factory(), pair=pair, on=on)
    if rate is None:
        raise NotFound(f"no {pair} rate on or before {on}")
    return ReferenceRateOut.of(rate)


@router.post("/v1/parameters", status_code=status.HTTP_201_CREATED)
def add_parameter(
    body: ParameterIn, principal: Operator, uow_factory: UowFactoryDep
) -> ParameterOut:
    """Record a parameter value from a date on (a new version; history is kept)."""
    parameter = service.add_parameter(
        uow_factory(),
        service.ParameterInput(
            name=body.name, value=body.value, effective_from=body.effective_from, source=body.source
        ),
        actor=principal.name,
    )
    return ParameterOut.of(parameter)


@router.get("/v1/parameters", response_model=ParameterList, responses=CSV_RESPONSE)
def list_parameters(
    principal: RefdataReader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    name: str | None = None,
    as_of: Annotated[date | None, Query(description="only the values in force that day")] = None,
) -> Response:
    """Parameters: every version, or those in force on `as_of`; by name, date and version."""
    found = service.parameters(uow_factory(), name=name, as_of=as_of)
    page = sequence_page(
        found, key=lambda p: (p.name, p.effective_from, p.version), page=query.page
    )
    return respond(query, page, ParameterOut.of, ParameterList)


class BopCodeIn(StrictModel):
    """One code of a BOP transaction-code table (涉外收支交易分类与代码)."""

    code: str = Field(pattern=r"^[0-9]{6}$", examples=["121010"])
    name_zh: str = Field(default="", max_length=200)
    name_en: str = Field(default="", max_length=300)
    category: str = Field(default="", max_length=40)
    account: str = Field(default="", max_length=40)
    directions: Literal["both", "receipt", "payment"] = "both"
    notes: str = Field(default="", max_length=2000)


class BopTableIn(StrictModel):
    """A whole BOP code table, a new version in force from a date."""

    version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")
    effective_from: date
    source: str = Field(min_length=1, max_length=500)
    codes: list[BopCodeIn] = Field(min_length=1, max_length=5000)

    @field_validator("codes")
    @classmethod
    def _unique(cls, codes: list[BopCodeIn]) -> list[BopCodeIn]:
        if len({code.code for code in codes}) != len(codes):
            raise ValueError("each code appears once in a table")
        return codes


class BopTableOut(BaseModel):
    """A stored BOP code table version."""

    version: str
    effective_from: date
    source: str
    count: int


class BopCodeOut(BaseModel):
    """A code of the table in force."""

    code: str
    name_zh: str
    name_en: str
    category: str
    directions: str

    @classmethod
    def of(cls, code: BopCode) -> BopCodeOut:
        """Render a code."""
        return cls(
            code=code.code,
            name_zh=code.name_zh,
            name_en=code.name_en,
            category=code.category,
            directions=code.directions,
        )


class BopCodeList(ItemPage[BopCodeOut]):
    """A page of the table in force on a date, by code: `{"as_of", "version", "items", ...}`."""

    as_of: date
    version: str | None


@router.post("/v1/bop-codes", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
def add_bop_table(body: BopTableIn, principal: Operator, uow_factory: UowFactoryDep) -> BopTableOut:
    """Load a BOP code table as a new version from a date (a version name is used once)."""
    count = service.add_bop_table(
        uow_factory(),
        version=body.version,
        effective_from=body.effective_from,
        source=body.source,
        rows=[code.model_dump() for code in body.codes],
        actor=principal.name,
    )
    return BopTableOut(
        version=body.version, effective_from=body.effective_from, source=body.source, count=count
    )


@router.get("/v1/bop-codes", response_model=BopCodeList, responses=CSV_RESPONSE)
def list_bop_codes(
    principal: RefdataReader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    query: ListQueryDep,
    as_of: Annotated[
        date | None, Query(description="the table in force that day; default today")
    ] = None,
    category: str | None = None,
) -> Response:
    """The BOP code table in force on a date (default today), by code."""
    uow = uow_factory()
    on = as_of or today(uow.clock, settings.timezone)
    version, codes = service.bop_codes_on(uow, on)
    found = [code for code in codes if category is None or code.category == category]
    page = sequence_page(found, key=lambda c: (c.code,), page=query.page)
    return respond(query, page, BopCodeOut.of, BopCodeList, as_of=on, version=version)
