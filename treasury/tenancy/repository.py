"""Queries for tenants, tokens and settings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from treasury.db.base import new_id
from treasury.tenancy.model import DEFAULT_TENANT_SETTINGS, Principal, Role
from treasury.tenancy.tables import TenantRow, TenantSettingsRow, TokenRow


def secret_digest(secret: str) -> str:
    """SHA-256 of a token secret (tokens are long random strings, so a fast hash suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def find_tenant_by_slug(session: Session, slug: str) -> TenantRow | None:
    """The tenant with this slug, if any."""
    return session.scalars(select(TenantRow).where(TenantRow.slug == slug)).one_or_none()


def tenant_slugs(session: Session, among: Collection[str] | None = None) -> list[tuple[str, str]]:
    """(id, slug) of every tenant, or of those with an id in `among`, in slug order."""
    query = select(TenantRow.id, TenantRow.slug).order_by(TenantRow.slug)
    if among is not None:
        query = query.where(TenantRow.id.in_(list(among)))
    return [(row[0], row[1]) for row in session.execute(query).all()]


def first_tenant_slugs(session: Session, limit: int) -> list[str]:
    """Up to `limit` tenant slugs, in slug order."""
    return list(session.scalars(select(TenantRow.slug).order_by(TenantRow.slug).limit(limit)))


def add_tenant(session: Session, *, slug: str, name: str, created_at: datetime) -> TenantRow:
    """Insert a tenant."""
    row = TenantRow(id=new_id(), slug=slug, name=name, created_at=created_at)
    session.add(row)
    session.flush()
    return row


def add_token(
    session: Session,
    *,
    tenant_id: str | None,
    role: Role,
    name: str,
    secret: str,
    created_at: datetime,
) -> TokenRow:
    """Insert a token, keeping only the digest of its secret."""
    row = TokenRow(
        id=new_id(),
        tenant_id=tenant_id,
        role=role.value,
        name=name,
        secret_sha256=secret_digest(secret),
        created_at=created_at,
    )
    session.add(row)
    session.flush()
    return row


def principal_for_digest(session: Session, digest: str) -> Principal | None:
    """The live token's principal for a secret's SHA-256 digest, or None."""
    row = session.scalars(select(TokenRow).where(TokenRow.secret_sha256 == digest)).one_or_none()
    return _live_principal(row)


def principal_for_token_id(session: Session, token_id: str) -> Principal | None:
    """The principal of a live token named by its id (a signed web session), or None."""
    return _live_principal(session.get(TokenRow, token_id))


def _live_principal(row: TokenRow | None) -> Principal | None:
    if row is None or row.revoked_at is not None:
        return None
    return Principal(token_id=row.id, tenant_id=row.tenant_id, role=Role(row.role), name=row.name)


def list_tokens(session: Session, tenant_id: str) -> list[TokenRow]:
    """A tenant's tokens, oldest first."""
    query = select(TokenRow).where(TokenRow.tenant_id == tenant_id).order_by(TokenRow.created_at)
    return list(session.scalars(query))


def get_token(session: Session, tenant_id: str, token_id: str) -> TokenRow | None:
    """One of the tenant's tokens."""
    row = session.get(TokenRow, token_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def load_settings_document(session: Session, tenant_id: str) -> dict[str, Any]:
    """The tenant's stored settings document ({} when never set)."""
    row = session.get(TenantSettingsRow, tenant_id)
    return {} if row is None else dict(json.loads(row.document))


def store_settings_document(
    session: Session, tenant_id: str, document: dict[str, Any], updated_at: datetime
) -> None:
    """Replace the tenant's settings document."""
    row = session.get(TenantSettingsRow, tenant_id, with_for_update=True)
    text = json.dumps(document, sort_keys=True)
    if row is None:
        session.add(TenantSettingsRow(tenant_id=tenant_id, document=text, updated_at=updated_at))
    else:
        row.document = text
        row.updated_at = updated_at
    session.flush()


def effective_settings(session: Session, tenant_id: str) -> dict[str, Any]:
    """The tenant's settings with the defaults filled in.

    A stored null reads as the default: an earlier release stored nulls it could not read back.
    """
    stored = load_settings_document(session, tenant_id)
    return {**DEFAULT_TENANT_SETTINGS, **{k: v for k, v in stored.items() if v is not None}}
