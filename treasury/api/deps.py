"""FastAPI dependencies: the unit-of-work factory, settings, the caller and what they may do.

The ones that only look at the request are `async def`: FastAPI runs a plain `def` dependency in
its thread pool, a hop per dependency and request (5 of the 7 on a transfer's path; py-spy: a
fifth of the time the API process held the interpreter lock). The caller's token is looked up in
a thread only when its principal is not cached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from treasury.clock import today
from treasury.db.engine import database_key
from treasury.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from treasury.errors import Forbidden, IdempotencyKeyRequired, ValidationFailed
from treasury.settings import Settings
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import Permission, Principal


async def _uow_factory(request: Request) -> UnitOfWorkFactory:
    factory: UnitOfWorkFactory = request.app.state.uow_factory
    return factory


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


UowFactoryDep = Annotated[UnitOfWorkFactory, Depends(_uow_factory)]
SettingsDep = Annotated[Settings, Depends(_settings)]

_bearer = HTTPBearer(auto_error=False, description="Bearer token from `treasury token create`")


async def _principal(
    uow_factory: UowFactoryDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    secret = None if credentials is None else credentials.credentials
    known = tenancy_service.recently_authenticated(database_key(uow_factory.engine), secret)
    if known is not None:
        return known
    return await run_in_threadpool(tenancy_service.authenticate, uow_factory.read_only(), secret)


def requires(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits callers whose role grants `permission` (else 403)."""

    async def dependency(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if not principal.can(permission):
            raise Forbidden(
                f"role {principal.role.value} may not {permission.value.replace('_', ' ')}"
            )
        return principal

    return dependency


Reader = Annotated[Principal, Depends(requires(Permission.READ))]
Writer = Annotated[Principal, Depends(requires(Permission.WRITE_TREASURY))]
Admin = Annotated[Principal, Depends(requires(Permission.MANAGE_SETTINGS))]
TokenManager = Annotated[Principal, Depends(requires(Permission.MANAGE_TOKENS))]
RefdataReader = Annotated[Principal, Depends(requires(Permission.READ_REFDATA))]
Operator = Annotated[Principal, Depends(requires(Permission.WRITE_REFDATA))]
AnyCaller = Annotated[Principal, Depends(_principal)]


def tenant_of(principal: Principal) -> str:
    """The caller's tenant (tenant roles always have one)."""
    if principal.tenant_id is None:
        raise Forbidden("the operator sees no tenant's data")
    return principal.tenant_id


IDEMPOTENCY_KEY_REQUIRED_NOTE = "Required:"
"""How the header's description starts where the server refuses a request without it (the
OpenAPI document then declares it required; see `treasury.api.openapi`)."""


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description=f"{IDEMPOTENCY_KEY_REQUIRED_NOTE} a unique key per money-moving request; "
            "a replay returns the original result",
        ),
    ] = None,
) -> str:
    """The Idempotency-Key header, required on money-moving POSTs."""
    if key is None or not key.strip():
        raise IdempotencyKeyRequired("this request moves money and needs an Idempotency-Key header")
    return key


IdempotencyKeyDep = Annotated[str, Depends(idempotency_key)]


async def refuse_nul_characters(request: Request) -> None:
    """Refuse a path or query carrying NUL (U+0000): PostgreSQL text cannot hold it (else a 500)."""
    params = request.query_params.multi_items()
    if "\x00" in request.scope["path"] or any("\x00" in k or "\x00" in v for k, v in params):
        raise ValidationFailed("the path or query contains a NUL character")


def business_today(settings: Settings, uow: UnitOfWork) -> date:
    """Today in the configured time zone."""
    return today(uow.clock, settings.timezone)
