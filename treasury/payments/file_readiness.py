"""Whether a transfer will need a payment file, and whether it can have one.

A transfer needs a pain.001 when it is not back-valued and its route is not `BOOK`; before it is
routed (a transfer held for review) the route is predicted: `BOOK` only between two of the
group's accounts at one bank with the same residency. A transfer that will need a file and
cannot have one — a party without a structured address, a remark its rail cannot carry — is
refused when created (422), before anything is booked, reserved or recorded. The payment file
takes the parties' addresses from here too, so the check and the file never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from treasury.accounts.model import address_problem, in_house
from treasury.errors import AddressUnstructured
from treasury.payments.model import TransferRequest
from treasury.payments.pipeline import Parties
from treasury.settlement import pain001

BOOK = "BOOK"


def needs_payment_file(parties: Parties, *, back_valued: bool, rail: str | None = None) -> bool:
    """True when the transfer goes to the bank as a payment file.

    `rail` is the routed rail type; None before routing, when it is predicted from the parties.
    """
    if back_valued:
        return False
    if rail is not None:
        return rail != BOOK
    return not in_house(debtor=parties.debtor_account, creditor=parties.creditor_account)


def debtor_address(parties: Parties) -> Mapping[str, Any] | None:
    """The debtor's postal address: its entity's."""
    return parties.debtor_entity.address


def creditor_address(request: TransferRequest, parties: Parties) -> Mapping[str, Any] | None:
    """The creditor's postal address: a group entity's, a counterparty's or the inline one's."""
    if parties.creditor_entity is not None:
        return parties.creditor_entity.address
    if parties.counterparty is not None:
        return parties.counterparty.address
    address: Mapping[str, Any] | None = (request.creditor or {}).get("address")
    return address


def check_addresses(request: TransferRequest, parties: Parties) -> None:
    """Both parties' addresses can go into a payment file (town and country, ≤ 2 lines).

    Raises:
        AddressUnstructured: naming each party whose address cannot, and why.
    """
    problems = [
        f"{who}: {problem}"
        for who, address in (
            (_debtor_label(parties), debtor_address(parties)),
            (_creditor_label(request, parties), creditor_address(request, parties)),
        )
        if (problem := address_problem(address)) is not None
    ]
    if problems:
        raise AddressUnstructured(
            "this transfer needs a payment file, and every file carries both parties' postal "
            "addresses with town and country: " + "; ".join(problems),
            parties=problems,
        )


def check_file_possible(
    request: TransferRequest, parties: Parties, *, back_valued: bool, rail: str | None = None
) -> None:
    """Refuse a transfer that will need a payment file and cannot have one.

    Raises:
        AddressUnstructured: a party's address cannot go into the file.
        RemittanceCharset: the remark holds a character the routed rail cannot carry.
    """
    if not needs_payment_file(parties, back_valued=back_valued, rail=rail):
        return
    check_addresses(request, parties)
    if rail is not None and request.remark:
        pain001.check_remittance(request.remark, rail)


def _debtor_label(parties: Parties) -> str:
    return f"debtor entity {parties.debtor_entity.code}"


def _creditor_label(request: TransferRequest, parties: Parties) -> str:
    if parties.creditor_entity is not None:
        return f"creditor entity {parties.creditor_entity.code}"
    if parties.counterparty is not None:
        return f"counterparty {parties.counterparty.id}"
    return "the inline creditor"
