"""Tenant settings and tokens (admin)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field, model_validator

from treasury.api.deps import Admin, TokenManager, UowFactoryDep, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import COMMON_PROBLEMS, DecimalString, PositiveMoneyIn, StrictModel
from treasury.db.paging import sequence_page
from treasury.tenancy import service
from treasury.tenancy.model import Role

router = APIRouter(tags=["tenant"], responses=COMMON_PROBLEMS)


class HedgeRatioPolicy(StrictModel):
    """The hedge ratio an entity aims to keep per exposure bucket."""

    min: DecimalString
    max: DecimalString

    @model_validator(mode="after")
    def _ordered(self) -> HedgeRatioPolicy:
        if not Decimal(0) <= self.min <= self.max <= Decimal(1):
            raise ValueError("need 0 ≤ min ≤ max ≤ 1")
        return self


class SettingsPatch(StrictModel):
    """Changes to the tenant's settings; maps merge key by key (a null value removes a key)."""

    dual_approval_threshold: PositiveMoneyIn | None = None
    hedge_ratio_policy: dict[str, HedgeRatioPolicy | None] | None = None
    pool_quota_breach_policy: dict[str, Literal["cap", "hold"] | None] | None = None
    back_valuation_limit_days: int | None = Field(default=None, ge=0, le=3650)
    market_data_staleness_policy: Literal["flag", "refuse"] | None = None


class SettingsOut(BaseModel):
    """The tenant's settings, defaults filled in."""

    dual_approval_threshold: dict[str, str]
    hedge_ratio_policy: dict[str, dict[str, str]]
    pool_quota_breach_policy: dict[str, str]
    back_valuation_limit_days: int | None
    market_data_staleness_policy: str


class TokenIn(StrictModel):
    """A new token of a tenant role."""

    role: Role
    name: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    """A token; `token` (the secret) is shown only when it is made."""

    id: str
    role: str
    name: str
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    token: str | None = None


class TokenList(ItemPage[TokenOut]):
    """A page of tokens, by creation time and id."""


def _changes(body: SettingsPatch) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        elif isinstance(value, dict):
            value = {
                key: item.model_dump(mode="json") if isinstance(item, BaseModel) else item
                for key, item in value.items()
            }
        changes[name] = value
    return changes


@router.get("/v1/settings")
def get_settings(principal: Admin, uow_factory: UowFactoryDep) -> SettingsOut:
    """The tenant's settings."""
    return SettingsOut(**service.tenant_settings(uow_factory(), tenant_of(principal)))


@router.patch("/v1/settings")
def patch_settings(
    body: SettingsPatch, principal: Admin, uow_factory: UowFactoryDep
) -> SettingsOut:
    """Change the dual-approval threshold, hedge-ratio policies, quota-breach policies, limits."""
    merged = service.update_tenant_settings(
        uow_factory(), tenant_of(principal), _changes(body), actor=principal.name
    )
    return SettingsOut(**merged)


@router.post("/v1/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, principal: TokenManager, uow_factory: UowFactoryDep) -> TokenOut:
    """Issue a token of a tenant role; the secret is in `token`, shown this once."""
    issued = service.issue_tenant_token(
        uow_factory(), admin=principal, role=body.role, name=body.name
    )
    return TokenOut(id=issued.id, role=issued.role.value, name=issued.name, token=issued.secret)


@router.get("/v1/tokens", response_model=TokenList, responses=CSV_RESPONSE)
def list_tokens(
    principal: TokenManager, uow_factory: UowFactoryDep, query: ListQueryDep
) -> Response:
    """The tenant's tokens (never their secrets), oldest first."""
    tokens = service.list_tokens(uow_factory(), tenant_of(principal))
    page = sequence_page(tokens, key=lambda t: (t.created_at, t.id), page=query.page)
    return respond(
        query,
        page,
        lambda token: TokenOut(
            id=token.id,
            role=token.role,
            name=token.name,
            created_at=token.created_at,
            revoked_at=token.revoked_at,
        ),
        TokenList,
    )


@router.delete("/v1/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: str, principal: TokenManager, uow_factory: UowFactoryDep) -> None:
    """Revoke a token at once."""
    service.revoke_token(uow_factory(), admin=principal, token_id=token_id)
