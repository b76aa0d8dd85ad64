"""Counterparties: external parties as master data; affiliation set by admins or officers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field

from treasury.accounts import service
from treasury.accounts.model import Counterparty
from treasury.api.deps import AnyCaller, Reader, UowFactoryDep, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import COMMON_PROBLEMS, Address, AddressOut, StrictModel, address_out
from treasury.db.paging import sequence_page
from treasury.errors import Forbidden, ValidationFailed
from treasury.identifiers import checked_bic, checked_country, checked_lei
from treasury.tenancy.model import Permission, Principal

router = APIRouter(prefix="/v1/counterparties", tags=["counterparties"], responses=COMMON_PROBLEMS)


class CounterpartyFields(StrictModel):
    """Fields of a counterparty (all optional on PATCH)."""

    name: str | None = Field(default=None, min_length=1, max_length=300)
    country: str | None = None
    bank_bic: str | None = None
    account: str | None = Field(default=None, max_length=64)
    address: Address | None = None
    affiliated: bool | None = None
    lei: str | None = None


class CounterpartyCreate(CounterpartyFields):
    """A new counterparty: name and country are required."""

    name: str = Field(min_length=1, max_length=300)
    country: str


class CounterpartyOut(BaseModel):
    """A counterparty as shown."""

    id: str
    name: str
    country: str
    bank_bic: str | None
    account: str | None
    address: AddressOut | None
    affiliated: bool
    lei: str | None
    resident: bool

    @classmethod
    def of(cls, counterparty: Counterparty) -> CounterpartyOut:
        """Render a counterparty."""
        return cls(
            id=counterparty.id,
            name=counterparty.name,
            country=counterparty.country,
            bank_bic=counterparty.bank_bic,
            account=counterparty.account,
            address=address_out(counterparty.address),
            affiliated=counterparty.affiliated,
            lei=counterparty.lei,
            resident=counterparty.resident,
        )


class CounterpartyList(ItemPage[CounterpartyOut]):
    """A page of counterparties, by name."""


def _fields(model: CounterpartyFields, principal: Principal) -> dict[str, Any]:
    fields: dict[str, Any] = {name: getattr(model, name) for name in model.model_fields_set}
    if "affiliated" in fields and not principal.can(Permission.SET_AFFILIATION):
        raise Forbidden("affiliation is set by an admin or a compliance officer")
    if set(fields) - {"affiliated"} and not principal.can(Permission.WRITE_TREASURY):
        raise Forbidden(f"role {principal.role.value} may only set affiliation")
    if fields.get("affiliated", False) is None or any(
        name in fields and fields[name] is None for name in ("name", "country")
    ):
        raise ValidationFailed("name, country and affiliation cannot be cleared")
    if fields.get("country") is not None:
        fields["country"] = checked_country(fields["country"])
    if fields.get("bank_bic") is not None:
        fields["bank_bic"] = checked_bic(fields["bank_bic"])
    if fields.get("lei") is not None:
        fields["lei"] = checked_lei(fields["lei"])
    if isinstance(model.address, Address) and "address" in fields:
        fields["address"] = model.address.to_document()
    return fields


def _writer_or_officer(principal: AnyCaller) -> Principal:
    if not (principal.can(Permission.WRITE_TREASURY) or principal.can(Permission.SET_AFFILIATION)):
        raise Forbidden(f"role {principal.role.value} may not change counterparties")
    return principal


Editor = Annotated[Principal, Depends(_writer_or_officer)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_counterparty(
    body: CounterpartyCreate, principal: Editor, uow_factory: UowFactoryDep
) -> CounterpartyOut:
    """Register an external party."""
    if not principal.can(Permission.WRITE_TREASURY):
        raise Forbidden(f"role {principal.role.value} may not create counterparties")
    counterparty = service.create_counterparty(
        uow_factory(),
        tenant_id=tenant_of(principal),
        fields=_fields(body, principal),
        actor=principal.name,
    )
    return CounterpartyOut.of(counterparty)


@router.get("", response_model=CounterpartyList, responses=CSV_RESPONSE)
def list_counterparties(
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    country: Annotated[str | None, Query(pattern="^[A-Z]{2}$")] = None,
    affiliated: bool | None = None,
) -> Response:
    """The tenant's counterparties by name, optionally of one country or affiliation."""
    found = [
        item
        for item in service.list_counterparties(uow_factory(), tenant_id=tenant_of(principal))
        if (country is None or item.country == country)
        and (affiliated is None or item.affiliated == affiliated)
    ]
    page = sequence_page(found, key=lambda c: (c.name, c.id), page=query.page)
    return respond(query, page, CounterpartyOut.of, CounterpartyList)


@router.get("/{counterparty_id}")
def get_counterparty(
    counterparty_id: str, principal: Reader, uow_factory: UowFactoryDep
) -> CounterpartyOut:
    """One counterparty."""
    counterparty = service.get_counterparty(
        uow_factory(), tenant_id=tenant_of(principal), counterparty_id=counterparty_id
    )
    return CounterpartyOut.of(counterparty)


@router.patch("/{counterparty_id}")
def update_counterparty(
    counterparty_id: str, body: CounterpartyFields, principal: Editor, uow_factory: UowFactoryDep
) -> CounterpartyOut:
    """Change master data; only admins and compliance officers set `affiliated`."""
    counterparty = service.update_counterparty(
        uow_factory(),
        tenant_id=tenant_of(principal),
        counterparty_id=counterparty_id,
        fields=_fields(body, principal),
        actor=principal.name,
    )
    return CounterpartyOut.of(counterparty)
