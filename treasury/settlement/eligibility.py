"""Which rails can carry a payment at all: enabled, valid, currency, scope, house bank, corridor,
amount and the rail's requirements (CIPS reachability, clearing membership, correspondents).

Pure: the first reason a rail is excluded, or None when it can be timed.
"""

from __future__ import annotations

from datetime import date

from treasury.settlement.model import CipsStatus, Rail, RailType, RouteRequest, Scope
from treasury.settlement.reference import RoutingReference, bic_country


def static_exclusion(
    rail: Rail, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    """The first reason the rail cannot carry the payment at all (None: it can be timed)."""
    currency = request.amount.currency.code
    if not rail.enabled:
        return "RAIL_DISABLED", "the operator disabled this rail"
    if not rail.carries(currency):
        return "CURRENCY_NOT_SUPPORTED", f"{currency} not in {_currencies(rail)}"
    found = _validity(rail, request.submitted_at.date())
    found = found or _scope(rail, request, reference) or _house_bank(rail, request)
    found = found or _corridor(rail, request) or _amount(rail, request, reference)
    for requirement in rail.requires:
        found = found or _requirement(requirement, request, reference)
    return found


def _currencies(rail: Rail) -> str:
    shown = ", ".join(sorted(rail.currencies))
    if rail.currencies_excluded:
        shown += f" except {', '.join(sorted(rail.currencies_excluded))}"
    return f"[{shown}]"


def _validity(rail: Rail, on: date) -> tuple[str, str] | None:
    if rail.valid_from is not None and on < rail.valid_from:
        return "RAIL_NOT_YET_VALID", f"valid from {rail.valid_from}"
    if rail.valid_to is not None and on > rail.valid_to:
        return "RAIL_EXPIRED", f"valid to {rail.valid_to}"
    return None


def _scope(
    rail: Rail, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    if rail.scope is Scope.INTERNAL:
        return _internal(request)
    origin = bic_country(request.debtor_bank_bic or "XXXXZZ")
    target = bic_country(request.creditor_bank_bic or "XXXXZZ")
    if rail.scope is Scope.CROSS_BORDER:
        if origin == target == "CN":
            return "BENEF_BANK_ONSHORE", "the beneficiary bank is onshore: a CNAPS rail carries it"
        if origin == target:
            return "SAME_JURISDICTION", f"both banks are in {origin}: its own clearing carries it"
        return None
    if rail.scope is Scope.LOCAL:
        if origin != target or origin == "CN":
            return "NOT_LOCAL", f"{origin} → {target} is not a payment inside one offshore place"
        return None
    if origin != "CN" or target != "CN":
        return "NOT_DOMESTIC", f"{origin} → {target}: both banks must be onshore"
    if rail.type is RailType.BEPS:
        return _beps(request, reference)
    return None


def _internal(request: RouteRequest) -> tuple[str, str] | None:
    same_bank = (
        request.debtor_bank_bic is not None and request.debtor_bank_bic == request.creditor_bank_bic
    )
    if not request.internal:
        return "NOT_INTERNAL", "BOOK is only between the group's own accounts"
    if not same_bank:
        return "DIFFERENT_BANKS", "BOOK needs both accounts at one bank"
    if request.crosses_border:
        return "RESIDENCY_DIFFERS", "NRA ↔ resident funds are cross-border: HVPS, not BOOK"
    return None


def _beps(request: RouteRequest, reference: RoutingReference) -> tuple[str, str] | None:
    limit = reference.settings.beps_limit
    if request.amount.amount > limit:
        return "HVPS_REQUIRED", f"above the BEPS limit of CNY {limit:,}"
    if request.crosses_border:
        return "HVPS_REQUIRED", "NRA ↔ resident is cross-border and must go over HVPS"
    if request.urgent:
        return "HVPS_REQUIRED", "urgent payments go over HVPS"
    return None


def _house_bank(rail: Rail, request: RouteRequest) -> tuple[str, str] | None:
    """A house bank's own rail carries only that bank's payments; a generic rail any bank's."""
    debtor = request.debtor_bank_bic
    if rail.scope is Scope.INTERNAL or rail.house_bank_bic is None:
        return None
    if debtor is None or debtor[:8] != rail.house_bank_bic[:8]:
        return "NOT_HOUSE_BANK", f"the debtor account is not held at {rail.house_bank_bic}"
    return None


def _corridor(rail: Rail, request: RouteRequest) -> tuple[str, str] | None:
    origin = bic_country(request.debtor_bank_bic or "XXXXZZ")
    target = bic_country(request.creditor_bank_bic or "XXXXZZ")
    if rail.serves(origin, target):
        return None
    return "CORRIDOR_NOT_SERVED", f"{origin} → {target} is not among the rail's corridors"


def _amount(
    rail: Rail, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    amount = request.amount.amount
    if rail.min_amount is not None and amount < rail.min_amount:
        return "AMOUNT_BELOW_MIN", f"below the rail's minimum {rail.min_amount}"
    if rail.max_amount is not None and amount > rail.max_amount:
        return "AMOUNT_ABOVE_MAX", f"above the rail's maximum {rail.max_amount}"
    return None


def _requirement(
    requirement: str, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    beneficiary = reference.participant(request.creditor_bank_bic)
    name = request.creditor_bank_bic or "no beneficiary bank"
    if requirement == "DEBTOR_CIPS":
        debtor = reference.participant(request.debtor_bank_bic)
        if debtor is not None and (
            debtor.cips_status is CipsStatus.DIRECT
            or (debtor.cips_status is CipsStatus.INDIRECT and debtor.cips_dp_bic)
        ):
            return None
        return "DEBTOR_NOT_CIPS", "the payer bank is neither a CIPS DP nor an IP with its DP"
    if requirement == "BENEF_CIPS_REACHABLE":
        if _cips_reachable(reference, request.creditor_bank_bic, request.amount.currency.code):
            return None
        return "BENEF_NOT_CIPS_REACHABLE", f"{name} is not reachable through CIPS"
    if requirement.startswith("DEBTOR_IN_CLEARING:"):
        return _debtor_in_clearing(requirement.split(":", 1)[1], request, reference)
    if requirement == "BENEF_RMB_CORRESPONDENT":
        if beneficiary is not None and "CNY" in beneficiary.correspondents:
            return None
        return "BENEF_NO_RMB_CORRESPONDENT", f"{name} keeps no RMB account with a mainland bank"
    jurisdiction = requirement.split(":", 1)[1]
    if beneficiary is not None and jurisdiction in beneficiary.clearing_memberships:
        return None
    return (
        f"BENEF_NOT_IN_CLEARING:{jurisdiction}",
        f"{name} is not a {jurisdiction} clearing member",
    )


def _debtor_in_clearing(
    jurisdiction: str, request: RouteRequest, reference: RoutingReference
) -> tuple[str, str] | None:
    debtor = reference.participant(request.debtor_bank_bic)
    if debtor is not None and jurisdiction in debtor.clearing_memberships:
        return None
    name = request.debtor_bank_bic or "no debtor bank"
    return (
        f"DEBTOR_NOT_IN_CLEARING:{jurisdiction}",
        f"{name} is not a {jurisdiction} clearing member",
    )


def _cips_reachable(reference: RoutingReference, bic: str | None, currency: str) -> bool:
    if bic is not None and bic_country(bic) == "CN":
        # The receiving DP forwards to any onshore bank over HVPS by its CNAPS code
        # (settlement.md §2, "Link with CIPS" [C/P]).
        return True
    found = reference.participant(bic)
    if found is None:
        return False
    if found.cips_status is not CipsStatus.NONE:
        return True
    correspondent = reference.participant(found.correspondents.get(currency))
    return correspondent is not None and correspondent.cips_status is not CipsStatus.NONE
