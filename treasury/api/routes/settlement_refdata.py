"""Routing reference data: participants, rails and calendar overrides (operator writes)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from treasury.api.deps import Operator, RefdataReader, SettingsDep, UowFactoryDep, business_today
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQuery, ListQueryDep, respond
from treasury.api.wire import COMMON_PROBLEMS, StrictModel
from treasury.calendars import CalendarOverride
from treasury.db.paging import sequence_page
from treasury.settlement.service import reference_data as service

router = APIRouter(tags=["reference data"], responses=COMMON_PROBLEMS)


class Versioned(StrictModel):
    """When a version applies from, and where it comes from."""

    effective_from: date | None = Field(default=None, description="default: today")
    source: str = Field(default="operator load", min_length=1, max_length=500)


class ParticipantIn(Versioned):
    """A bank in the participant directory."""

    bic: str = Field(pattern=r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    cips_status: Literal["DIRECT", "INDIRECT", "NONE"]
    cips_dp_bic: str | None = None
    clearing_memberships: list[str] = Field(default_factory=list, max_length=50)
    correspondents: dict[str, str] = Field(default_factory=dict)
    cnaps_code: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    lei: str | None = None


class RailIn(BaseModel):
    """A rail's configuration (the shape of `settlement_rails.json`), with its version fields."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=r"^[A-Z0-9_]{2,40}$")
    effective_from: date | None = None
    source: str = Field(default="operator load", min_length=1, max_length=500)


class CalendarIn(Versioned):
    """One calendar year: holidays and working days, with its status and source notice."""

    calendar: str
    year: int = Field(ge=2000, le=2100)
    holidays: list[date] = Field(default_factory=list, max_length=366)
    working_days: list[date] = Field(default_factory=list, max_length=366)
    status: Literal["official", "expected"]
    source: str = Field(min_length=1, max_length=5000)


class VersionOut(BaseModel):
    """A stored version."""

    key: str
    version: int
    effective_from: date
    source: str
    document: dict[str, Any]

    @classmethod
    def of(cls, version: service.Version) -> VersionOut:
        """Render a version."""
        return cls(**version.__dict__)


class VersionList(ItemPage[VersionOut]):
    """A page of versions, by key, effective date and version."""


def _versions(query: ListQuery, versions: list[service.Version]) -> Response:
    page = sequence_page(
        versions, key=lambda v: (v.key, v.effective_from, v.version), page=query.page
    )
    return respond(query, page, VersionOut.of, VersionList)


def _today(settings: SettingsDep, uow_factory: UowFactoryDep) -> date:
    return business_today(settings, uow_factory())


@router.post("/v1/participants", status_code=status.HTTP_201_CREATED)
def add_participant(
    body: ParticipantIn, principal: Operator, uow_factory: UowFactoryDep, settings: SettingsDep
) -> VersionOut:
    """A new version of a participant (CIPS status, clearing memberships, CNAPS code)."""
    document = body.model_dump(exclude={"effective_from", "source"}, exclude_none=True)
    version = service.add_participant(
        uow_factory(),
        document,
        effective_from=body.effective_from or _today(settings, uow_factory),
        source=body.source,
        actor=principal.name,
    )
    return VersionOut.of(version)


@router.get("/v1/participants", response_model=VersionList, responses=CSV_RESPONSE)
def list_participants(
    principal: RefdataReader, uow_factory: UowFactoryDep, query: ListQueryDep
) -> Response:
    """Every participant version (key: the BIC)."""
    return _versions(query, service.participants(uow_factory()))


@router.post("/v1/rails", status_code=status.HTTP_201_CREATED)
def add_rail(
    body: RailIn, principal: Operator, uow_factory: UowFactoryDep, settings: SettingsDep
) -> VersionOut:
    """A new version of a rail (sessions, cut-offs, calendars, fees, policy rank, validity)."""
    document = body.model_dump(exclude={"effective_from", "source"})
    document.setdefault("source_note", body.source)
    version = service.add_rail(
        uow_factory(),
        document,
        effective_from=body.effective_from or _today(settings, uow_factory),
        source=body.source,
        actor=principal.name,
    )
    return VersionOut.of(version)


@router.get("/v1/rails", response_model=VersionList, responses=CSV_RESPONSE)
def list_rails(
    principal: RefdataReader, uow_factory: UowFactoryDep, query: ListQueryDep
) -> Response:
    """Every rail version (key: the rail id)."""
    return _versions(query, service.rails(uow_factory()))


@router.post("/v1/calendars", status_code=status.HTTP_201_CREATED)
def add_calendar_override(
    body: CalendarIn, principal: Operator, uow_factory: UowFactoryDep, settings: SettingsDep
) -> VersionOut:
    """A new version of a calendar year (e.g. the State Council's holiday notice)."""
    override = CalendarOverride(
        calendar=body.calendar,
        year=body.year,
        holidays=frozenset(body.holidays),
        working_days=frozenset(body.working_days),
        status=body.status,
        source=body.source,
    )
    version = service.add_calendar_override(
        uow_factory(),
        override,
        effective_from=body.effective_from or _today(settings, uow_factory),
        actor=principal.name,
    )
    return VersionOut.of(version)


@router.get("/v1/calendars", response_model=VersionList, responses=CSV_RESPONSE)
def list_calendar_overrides(
    principal: RefdataReader, uow_factory: UowFactoryDep, query: ListQueryDep
) -> Response:
    """Every calendar-year version (key: calendar and year)."""
    return _versions(query, service.calendar_overrides(uow_factory()))
