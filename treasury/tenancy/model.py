"""Roles and what each may do (DESIGN §4.2), as pure data."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """A token's role. `operator` is system-wide and sees no tenant's data."""

    ADMIN = "admin"
    TREASURER = "treasurer"
    COMPLIANCE_OFFICER = "compliance_officer"
    AUDITOR = "auditor"
    OPERATOR = "operator"


TENANT_ROLES = (Role.ADMIN, Role.TREASURER, Role.COMPLIANCE_OFFICER, Role.AUDITOR)


class Permission(StrEnum):
    """Things a caller may be allowed to do."""

    READ = "read"  # read the tenant's data
    WRITE_TREASURY = "write_treasury"  # entities, accounts, statements, transfers, pools, hedges
    MANAGE_TOKENS = "manage_tokens"
    MANAGE_SETTINGS = "manage_settings"
    DECIDE_REVIEWS = "decide_reviews"
    SET_AFFILIATION = "set_affiliation"
    READ_AUDIT = "read_audit"
    READ_REFDATA = "read_refdata"
    WRITE_REFDATA = "write_refdata"


_TREASURER = {Permission.READ, Permission.WRITE_TREASURY, Permission.READ_REFDATA}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        _TREASURER
        | {Permission.MANAGE_TOKENS, Permission.MANAGE_SETTINGS, Permission.SET_AFFILIATION}
    ),
    Role.TREASURER: frozenset(_TREASURER),
    Role.COMPLIANCE_OFFICER: frozenset(
        {
            Permission.READ,
            Permission.DECIDE_REVIEWS,
            Permission.SET_AFFILIATION,
            Permission.READ_AUDIT,
            Permission.READ_REFDATA,
        }
    ),
    Role.AUDITOR: frozenset({Permission.READ, Permission.READ_AUDIT, Permission.READ_REFDATA}),
    Role.OPERATOR: frozenset({Permission.READ_REFDATA, Permission.WRITE_REFDATA}),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a token, its tenant (None for the operator) and its role."""

    token_id: str
    tenant_id: str | None
    role: Role
    name: str

    def can(self, permission: Permission) -> bool:
        """True when this caller's role grants `permission`."""
        return permission in ROLE_PERMISSIONS[self.role]


DEFAULT_TENANT_SETTINGS: dict[str, Any] = {
    # DESIGN §4.3 Reviews: two officers at or above CNY 50m equivalent.
    "dual_approval_threshold": {"amount": "50000000.00", "currency": "CNY"},
    "hedge_ratio_policy": {},
    "pool_quota_breach_policy": {"default": "cap"},
    "back_valuation_limit_days": None,
    # A revaluation on a snapshot older than `hedge.market_data_max_age_business_days`: "flag"
    # (run, flagged in the answer and the audit trail) or "refuse" (422 MARKET_DATA_STALE).
    "market_data_staleness_policy": "flag",
}


def merge_settings(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`current` with `changes` applied: maps merge key by key, a null takes a key away.

    A null for a whole setting means "back to the default" (never a stored null where the
    setting's readers expect a value).
    """
    merged = dict(current)
    for key, value in changes.items():
        existing = merged.get(key)
        if value is None:
            merged[key] = copy.deepcopy(DEFAULT_TENANT_SETTINGS[key])
        elif isinstance(value, dict) and isinstance(existing, dict):
            merged[key] = {k: v for k, v in {**existing, **value}.items() if v is not None}
        else:
            merged[key] = value
    return merged
