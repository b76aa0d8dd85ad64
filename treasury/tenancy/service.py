"""Use cases for tenants, tokens and tenant settings; each commits its own unit of work."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from treasury.audit import service as audit
from treasury.db.engine import database_key
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from treasury.tenancy import repository
from treasury.tenancy.model import TENANT_ROLES, Principal, Role, merge_settings
from treasury.tenancy.tables import TenantRow

TOKEN_PREFIX = "trs_"


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: its id, role and the secret, shown once."""

    id: str
    tenant_id: str | None
    role: Role
    name: str
    secret: str


def create_tenant(uow: UnitOfWork, *, slug: str, name: str | None) -> tuple[TenantRow, bool]:
    """Create a tenant, or return the existing one with this slug (idempotent).

    Returns the tenant and whether it was created now.
    """
    with uow:
        existing = repository.find_tenant_by_slug(uow.session, slug)
        if existing is not None:
            # Detach it loaded: the rollback on leaving the unit of work would expire it.
            uow.session.expunge(existing)
            return existing, False
        row = repository.add_tenant(
            uow.session, slug=slug, name=name or slug, created_at=uow.clock.now()
        )
        audit.record(
            uow,
            tenant_id=row.id,
            actor="cli",
            action="tenant.created",
            object_type="tenant",
            object_id=row.id,
            after={"slug": row.slug, "name": row.name},
        )
        uow.commit()
        return row, True


def sole_tenant_slug(uow: UnitOfWork) -> str:
    """The slug of the only tenant, for commands whose tenant may go unnamed on a one-group
    installation.

    Raises:
        ValidationFailed: there is no tenant, or there are several (name one).
    """
    with uow:
        slugs = repository.first_tenant_slugs(uow.session, 2)
    if len(slugs) != 1:
        found = "no tenant exists" if not slugs else "there are several tenants"
        raise ValidationFailed(f"{found}: name one with --tenant SLUG")
    return slugs[0]


def create_token(uow: UnitOfWork, *, tenant_slug: str | None, role: Role, name: str) -> IssuedToken:
    """Issue a bearer token: a tenant role for a tenant, or `operator` with no tenant.

    Raises:
        ValidationFailed: a tenant role without a tenant, or the operator role with one.
        NotFound: no tenant with that slug.
    """
    if role is Role.OPERATOR and tenant_slug is not None:
        raise ValidationFailed("an operator token belongs to no tenant")
    if role is not Role.OPERATOR and tenant_slug is None:
        raise ValidationFailed(f"a {role.value} token needs a tenant")
    with uow:
        tenant_id = None
        if tenant_slug is not None:
            tenant = repository.find_tenant_by_slug(uow.session, tenant_slug)
            if tenant is None:
                raise NotFound(f"tenant {tenant_slug!r} not found")
            tenant_id = tenant.id
        issued = _issue(uow, tenant_id=tenant_id, role=role, name=name, actor="cli")
        uow.commit()
        return issued


def issue_tenant_token(uow: UnitOfWork, *, admin: Principal, role: Role, name: str) -> IssuedToken:
    """An admin issues a token of a tenant role for their own tenant."""
    if role not in TENANT_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(r.value for r in TENANT_ROLES)}")
    with uow:
        issued = _issue(uow, tenant_id=admin.tenant_id, role=role, name=name, actor=admin.name)
        uow.commit()
        return issued


def _issue(
    uow: UnitOfWork, *, tenant_id: str | None, role: Role, name: str, actor: str
) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = repository.add_token(
        uow.session,
        tenant_id=tenant_id,
        role=role,
        name=name,
        secret=secret,
        created_at=uow.clock.now(),
    )
    audit.record(
        uow,
        tenant_id=tenant_id,
        actor=actor,
        action="token.created",
        object_type="token",
        object_id=row.id,
        after={"role": role.value, "name": name},
    )
    return IssuedToken(id=row.id, tenant_id=tenant_id, role=role, name=name, secret=secret)


def revoke_token(uow: UnitOfWork, *, admin: Principal, token_id: str) -> None:
    """Revoke one of the tenant's tokens (an admin may not revoke the token in use)."""
    assert admin.tenant_id is not None
    with uow:
        row = repository.get_token(uow.session, admin.tenant_id, token_id)
        if row is None:
            raise NotFound(f"token {token_id} not found")
        if row.id == admin.token_id:
            raise Conflict("a token cannot revoke itself")
        if row.revoked_at is None:
            row.revoked_at = uow.clock.now()
            audit.record(
                uow,
                tenant_id=admin.tenant_id,
                actor=admin.name,
                action="token.revoked",
                object_type="token",
                object_id=row.id,
                after={"role": row.role, "name": row.name},
            )
        uow.commit()
    _principals.forget_token(token_id)


def recently_authenticated(database_url: str, secret: str | None) -> Principal | None:
    """The principal of a secret `authenticate` found within the last `PRINCIPAL_CACHE_SECONDS`
    on this database, without touching it; None otherwise (then `authenticate` decides)."""
    if not secret:
        return None
    return _principals.get((database_url, repository.secret_digest(secret)))


def authenticate(uow: UnitOfWork, secret: str | None) -> Principal:
    """The principal of a presented bearer secret.

    Raises:
        Unauthenticated: no secret, or an unknown or revoked one.
    """
    if not secret:
        raise Unauthenticated("missing bearer token")
    digest = repository.secret_digest(secret)
    with uow:
        key = (database_key(uow.session.get_bind().engine), digest)
        principal = _principals.get(key)
        if principal is None:
            principal = repository.principal_for_digest(uow.session, digest)
            if principal is not None:
                _principals.put(key, principal)
    if principal is None:
        raise Unauthenticated("invalid or revoked bearer token")
    return principal


class _PrincipalCache:
    """Principals of recently presented tokens, so a busy client is not looked up per request.

    An entry lives `PRINCIPAL_CACHE_SECONDS`; a revocation in this process drops it at once, and
    reaches the other API processes within that time. Keys are secret digests, never secrets.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, Principal]] = {}

    def get(self, key: tuple[str, str]) -> Principal | None:
        with self._lock:
            found = self._entries.get(key)
        if found is None or time.monotonic() - found[0] > PRINCIPAL_CACHE_SECONDS:
            return None
        return found[1]

    def put(self, key: tuple[str, str], principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= _PRINCIPAL_CACHE_SIZE:
                self._entries.clear()  # crude but bounded: a flood of tokens cannot grow it
            self._entries[key] = (time.monotonic(), principal)

    def forget_token(self, token_id: str) -> None:
        with self._lock:
            stale = [key for key, (_, p) in self._entries.items() if p.token_id == token_id]
            for key in stale:
                del self._entries[key]


PRINCIPAL_CACHE_SECONDS = 2.0
_PRINCIPAL_CACHE_SIZE = 10_000
_principals = _PrincipalCache()


def principal_for_token_id(uow: UnitOfWork, token_id: str) -> Principal:
    """The principal of a token named by its id, as a signed web session names it.

    Raises:
        Unauthenticated: an unknown or revoked token.
    """
    with uow:
        principal = repository.principal_for_token_id(uow.session, token_id)
    if principal is None:
        raise Unauthenticated("the session's token is unknown or revoked")
    return principal


def tenant_settings(uow: UnitOfWork, tenant_id: str) -> dict[str, Any]:
    """The tenant's settings, defaults filled in."""
    with uow:
        return repository.effective_settings(uow.session, tenant_id)


def update_tenant_settings(
    uow: UnitOfWork, tenant_id: str, changes: dict[str, Any], *, actor: str
) -> dict[str, Any]:
    """Merge validated changes into the tenant's settings (maps merge key by key)."""
    with uow:
        merged = repository.effective_settings(uow.session, tenant_id)
        before = dict(merged)
        merged = merge_settings(merged, changes)
        repository.store_settings_document(uow.session, tenant_id, merged, uow.clock.now())
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="settings.updated",
            object_type="tenant_settings",
            object_id=tenant_id,
            before=before,
            after=merged,
        )
        uow.commit()
        return merged


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    role: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


def list_tokens(uow: UnitOfWork, tenant_id: str) -> list[TokenInfo]:
    """The tenant's tokens, oldest first."""
    with uow:
        return [
            TokenInfo(row.id, row.role, row.name, row.created_at, row.revoked_at)
            for row in repository.list_tokens(uow.session, tenant_id)
        ]
