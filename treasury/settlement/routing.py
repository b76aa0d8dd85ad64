"""Routing of a payment that passed screening.

Today it knows one rail: BOOK, a movement between two of the group's accounts at one bank and of
the same residency, valued on the requested date (never before today). Everything else waits for the
routing capability (CIPS, clearing banks, correspondents, SWIFT, HVPS/BEPS with sessions, cut-offs,
calendars and fees) and is refused with `RouteUnavailable` rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from treasury.accounts.model import BankAccount
from treasury.errors import RouteUnavailable
from treasury.settlement.model import RailType, Route


@dataclass(frozen=True)
class RoutingRequest:
    """What routing needs to know of a payment."""

    debtor_account: BankAccount
    creditor_account: BankAccount | None
    requested_value_date: date
    today: date
    now: datetime


def route_payment(request: RoutingRequest) -> Route:
    """The route of a payment: BOOK between the group's own accounts where it applies.

    Raises:
        RouteUnavailable: a payment that needs an external rail.
    """
    debtor, creditor = request.debtor_account, request.creditor_account
    if creditor is None:
        raise RouteUnavailable("payments to external parties need the routing capability")
    same_bank = debtor.bank_bic is not None and debtor.bank_bic == creditor.bank_bic
    explanation = (
        "both accounts are the group's, at one bank and of the same residency"
        if same_bank and debtor.resident == creditor.resident
        # Until interbank rails are configured, a transfer between the group's accounts at
        # different banks is booked on the group's ledger and its bank leg instructed outside.
        else "between the group's own accounts; interbank rails are not configured yet"
    )
    return Route(
        rail=RailType.BOOK,
        rail_id="BOOK",
        send_at=request.now,
        value_date=max(request.requested_value_date, request.today),
        fee_estimate=None,
        explanation=explanation,
    )
