"""System-wide reference data: the operator writes, every tenant reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, field_validator

from treasury.api.deps import Operator, RefdataReader, UowFactoryDep
from treasury.api.wire import COMMON_PROBLEMS, DecimalString, StrictModel, problem_responses
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


class ReferenceRateList(BaseModel):
    """`{"items": [...]}`."""

    items: list[ReferenceRateOut]


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


class ParameterList(BaseModel):
    """`{"items": [...]}`."""

    items: list[ParameterOut]


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


@router.get("/v1/reference-rates")
def list_reference_rates(
    principal: RefdataReader,
    uow_factory: UowFactoryDep,
    pair: Annotated[str | None, Query(pattern=r"^[A-Z]{6}$")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> ReferenceRateList:
    """Stored rates, every version."""
    rates = service.reference_rates(uow_factory(), pair=pair, date_from=date_from, date_to=date_to)
    return ReferenceRateList(items=[ReferenceRateOut.of(rate) for rate in rates])


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


@router.get("/v1/parameters")
def list_parameters(
    principal: RefdataReader,
    uow_factory: UowFactoryDep,
    name: str | None = None,
    as_of: Annotated[date | None, Query(description="only the values in force that day")] = None,
) -> ParameterList:
    """Parameters: every version, or those in force on `as_of`."""
    found = service.parameters(uow_factory(), name=name, as_of=as_of)
    return ParameterList(items=[ParameterOut.of(parameter) for parameter in found])


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


class BopCodeList(BaseModel):
    """The table in force on a date: `{"version", "items": [...]}`."""

    version: str | None
    items: list[BopCodeOut]


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


@router.get("/v1/bop-codes")
def list_bop_codes(
    principal: RefdataReader,
    uow_factory: UowFactoryDep,
    as_of: Annotated[date, Query(description="the table in force that day")],
) -> BopCodeList:
    """The BOP code table in force on a date."""
    version, codes = service.bop_codes_on(uow_factory(), as_of)
    return BopCodeList(version=version, items=[BopCodeOut.of(code) for code in codes])
