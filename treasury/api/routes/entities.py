"""Legal entities of the tenant's group."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, field_validator

from treasury.accounts import service
from treasury.accounts.model import CrossBorderDebtMode, EntityKind, LegalEntity
from treasury.api.deps import Reader, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    Address,
    AddressOut,
    DecimalString,
    MoneyIn,
    MoneyOut,
    StrictModel,
    address_out,
    money_out,
    problem_responses,
)
from treasury.db.paging import sequence_page
from treasury.errors import CurrencyMismatch, ValidationFailed
from treasury.identifiers import checked_country, checked_lei, checked_uscc

router = APIRouter(prefix="/v1/entities", tags=["entities"], responses=COMMON_PROBLEMS)


class FacilitationCertificate(StrictModel):
    """A high-tech, SRDI (专精特新) or tech-SME recognition and its expiry; `area` is the SAFE
    branch area (e.g. `beijing`, `qingdao`) whose regional quota applied before 2025-09-15,
    `innovation_points` a firm selected through the innovation-points scheme (enhanced quota)."""

    kind: Literal["high_tech", "srdi", "tech_sme"]
    valid_until: date
    area: str | None = Field(default=None, pattern=r"^[a-z_]{2,40}$")
    innovation_points: bool = False


class EntityFields(StrictModel):
    """Fields a treasurer may set (all optional on PATCH)."""

    code: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=300)
    country: str | None = Field(default=None, description="ISO 3166 alpha-2; CN is onshore")
    kind: EntityKind | None = None
    trade_fx_class: Literal["A", "B", "C"] | None = None
    owners_equity: MoneyIn | None = None
    net_assets: MoneyIn | None = None
    lending_in_business_scope: bool | None = None
    quality_enterprise: bool | None = None
    established_on: date | None = None
    prior_year_revenue: MoneyIn | None = None
    prior_year_cross_border_volume: MoneyIn | None = None
    parent_entity_id: str | None = None
    cross_border_debt_mode: CrossBorderDebtMode | None = None
    facilitation_certificate: FacilitationCertificate | None = None
    shareholding_ratio: DecimalString | None = None
    total_investment: MoneyIn | None = None
    registered_capital: MoneyIn | None = Field(
        default=None, description="注册资本; with total_investment it gives the 投注差"
    )
    last_fx_penalty_on: date | None = Field(
        default=None,
        description="the latest major cross-border receipt/payment violation or FX penalty",
    )
    capital_payment_facilitation: bool | None = Field(
        default=None,
        description="资本项目收入支付便利化: capital-account income paid on instruction",
    )
    independent_legal_person: bool | None = Field(
        default=None, description="false for a branch (分公司): it may not host a 251 pool"
    )
    uscc: str | None = None
    lei: str | None = None
    address: Address | None = Field(
        default=None, description="postal address; every payment file carries the debtor's"
    )

    @field_validator("shareholding_ratio")
    @classmethod
    def _ratio_in_range(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not Decimal(0) < value <= Decimal(1):
            raise ValueError("shareholding_ratio must be in (0, 1]")
        return value


class EntityCreate(EntityFields):
    """A new entity: code, name, country and kind are required."""

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    country: str
    kind: EntityKind = EntityKind.ENTERPRISE


class FacilitationCertificateOut(BaseModel):
    """As stored."""

    kind: str
    valid_until: str
    area: str | None = None
    innovation_points: bool = False


class EntityOut(BaseModel):
    """An entity as shown."""

    id: str
    code: str
    name: str
    country: str
    kind: str
    trade_fx_class: str
    owners_equity: MoneyOut | None
    net_assets: MoneyOut | None
    lending_in_business_scope: bool
    quality_enterprise: bool
    established_on: date | None
    prior_year_revenue: MoneyOut | None
    prior_year_cross_border_volume: MoneyOut | None
    parent_entity_id: str | None
    cross_border_debt_mode: str
    facilitation_certificate: FacilitationCertificateOut | None
    shareholding_ratio: str
    total_investment: MoneyOut | None
    registered_capital: MoneyOut | None
    last_fx_penalty_on: date | None
    capital_payment_facilitation: bool
    independent_legal_person: bool
    uscc: str | None
    lei: str | None
    address: AddressOut | None
    onshore: bool

    @classmethod
    def of(cls, entity: LegalEntity) -> EntityOut:
        """Render an entity."""
        certificate = entity.facilitation_certificate
        return cls(
            id=entity.id,
            code=entity.code,
            name=entity.name,
            country=entity.country,
            kind=entity.kind.value,
            trade_fx_class=entity.trade_fx_class,
            owners_equity=money_out(entity.owners_equity),
            net_assets=money_out(entity.net_assets),
            lending_in_business_scope=entity.lending_in_business_scope,
            quality_enterprise=entity.quality_enterprise,
            established_on=entity.established_on,
            prior_year_revenue=money_out(entity.prior_year_revenue),
            prior_year_cross_border_volume=money_out(entity.prior_year_cross_border_volume),
            parent_entity_id=entity.parent_entity_id,
            cross_border_debt_mode=entity.cross_border_debt_mode.value,
            facilitation_certificate=None
            if certificate is None
            else FacilitationCertificateOut(**certificate),
            shareholding_ratio=str(entity.shareholding_ratio),
            total_investment=money_out(entity.total_investment),
            registered_capital=money_out(entity.registered_capital),
            last_fx_penalty_on=entity.last_fx_penalty_on,
            capital_payment_facilitation=entity.capital_payment_facilitation,
            independent_legal_person=entity.independent_legal_person,
            uscc=entity.uscc,
            lei=entity.lei,
            address=address_out(entity.address),
            onshore=entity.onshore,
        )


class EntityList(ItemPage[EntityOut]):
    """A page of entities, by code."""


_CNY_FIELDS = (
    "owners_equity",
    "net_assets",
    "prior_year_revenue",
    "prior_year_cross_border_volume",
)


def domain_fields(model: EntityFields) -> dict[str, Any]:
    """Validated domain values of the fields that were sent (None clears an optional field)."""
    sent = model.model_fields_set
    fields: dict[str, Any] = {}
    for name in sent:
        value = getattr(model, name)
        if isinstance(value, MoneyIn):
            value = value.to_money()
            if name in _CNY_FIELDS and value.currency.code != "CNY":
                raise CurrencyMismatch(f"{name} is kept in CNY, not {value.currency}")
        elif isinstance(value, FacilitationCertificate):
            value = {
                "kind": value.kind,
                "valid_until": value.valid_until.isoformat(),
                "area": value.area,
                "innovation_points": value.innovation_points,
            }
        elif isinstance(value, Address):
            value = value.to_document()
        fields[name] = value
    _check_identifiers(fields)
    return fields


def _check_identifiers(fields: dict[str, Any]) -> None:
    for required in ("code", "name", "country", "kind", "trade_fx_class", "shareholding_ratio"):
        if required in fields and fields[required] is None:
            raise ValidationFailed(f"{required} cannot be cleared")
    for flag in (
        "lending_in_business_scope",
        "quality_enterprise",
        "cross_border_debt_mode",
        "capital_payment_facilitation",
        "independent_legal_person",
    ):
        if flag in fields and fields[flag] is None:
            raise ValidationFailed(f"{flag} cannot be cleared")
    if fields.get("country") is not None:
        fields["country"] = checked_country(fields["country"])
    if fields.get("uscc") is not None:
        fields["uscc"] = checked_uscc(fields["uscc"])
    if fields.get("lei") is not None:
        fields["lei"] = checked_lei(fields["lei"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
def create_entity(body: EntityCreate, principal: Writer, uow_factory: UowFactoryDep) -> EntityOut:
    """Register a legal entity of the group."""
    fields = domain_fields(body)
    fields.setdefault("kind", body.kind)
    entity = service.create_entity(
        uow_factory(), tenant_id=tenant_of(principal), fields=fields, actor=principal.name
    )
    return EntityOut.of(entity)


@router.get("", response_model=EntityList, responses=CSV_RESPONSE)
def list_entities(
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    country: Annotated[str | None, Query(pattern="^[A-Z]{2}$")] = None,
) -> Response:
    """The group's entities by code, optionally of one country."""
    entities = [
        entity
        for entity in service.list_entities(uow_factory(), tenant_id=tenant_of(principal))
        if country is None or entity.country == country
    ]
    page = sequence_page(entities, key=lambda e: (e.code, e.id), page=query.page)
    return respond(query, page, EntityOut.of, EntityList)


@router.get("/{entity_id}")
def get_entity(entity_id: str, principal: Reader, uow_factory: UowFactoryDep) -> EntityOut:
    """One entity."""
    entity = service.get_entity(uow_factory(), tenant_id=tenant_of(principal), entity_id=entity_id)
    return EntityOut.of(entity)


@router.patch("/{entity_id}", responses=problem_responses(409))
def update_entity(
    entity_id: str, body: EntityFields, principal: Writer, uow_factory: UowFactoryDep
) -> EntityOut:
    """Change an entity's master data (`cross_border_debt_mode` may not leave investment_gap)."""
    entity = service.update_entity(
        uow_factory(),
        tenant_id=tenant_of(principal),
        entity_id=entity_id,
        fields=domain_fields(body),
        actor=principal.name,
    )
    return EntityOut.of(entity)
