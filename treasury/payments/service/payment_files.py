"""Payment files: the pain.001 of a routed outbound transfer, and the day's batch per account.

Only a transfer that left through a routed rail (not BOOK, not back-valued, not rejected or held)
has a file. The file keeps the EndToEndId and UETR fixed when the transfer was routed, and is
stored as made: asking again returns the same message. Both parties carry their postal address
(`file_readiness`). A transfer whose part of the day's batch cannot be made (an address, an
account number too long, a remark its rail cannot carry, text the schema refuses) is left out
of the batch with its code and reason; the rest go.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import NotFound, PaymentFileInvalid, Rejected, catalogue
from treasury.payments import file_readiness, pipeline, repository
from treasury.payments.model import Transfer, TransferStatus, request_of
from treasury.payments.tables import TransferRow
from treasury.settlement import pain001
from treasury.settlement import repository as settlement_repository
from treasury.settlement.repository import RoutedPayment

_FILED = (TransferStatus.BOOKED.value, TransferStatus.ACCEPTED.value, TransferStatus.SETTLED.value)


@dataclass(frozen=True)
class LeftOut:
    """A transfer of the day that could not go into the batch, and why."""

    transfer_id: str
    code: str
    detail: str

    def to_document(self) -> dict[str, str]:
        """As listed in the batch's response."""
        return {"transfer_id": self.transfer_id, "code": self.code, "detail": self.detail}


@dataclass(frozen=True)
class PaymentFile:
    """A stored payment file, and (for a batch) the transfers of the day left out of it."""

    message_id: str
    xml: str
    transfer_ids: tuple[str, ...]
    left_out: tuple[LeftOut, ...] = ()


@dataclass(frozen=True)
class _Item:
    row: TransferRow
    decision: RoutedPayment
    credit: pain001.CreditTransfer


@dataclass(frozen=True)
class _Batch:
    """What goes into a file: the debtor side, the transfers that can go, those left out."""

    parties: pipeline.Parties
    debtor: pain001.Party
    items: tuple[_Item, ...]
    left_out: tuple[LeftOut, ...] = ()


def transfer_file(uow: UnitOfWork, *, tenant_id: str, transfer_id: str) -> PaymentFile:
    """The pain.001 of one routed outbound transfer (404 for any other).

    Raises:
        NotFound: no such transfer of the tenant, or one that has no payment file.
        AddressUnstructured, RemittanceCharset, PaymentFileInvalid: see `pain001.build`.
    """
    with uow:
        row = repository.get_transfer_row(uow.session, tenant_id, transfer_id)
        decision = settlement_repository.routed_payment(uow.session, tenant_id, transfer_id)
        if row is None or decision is None or not _fileable(row, decision):
            raise NotFound(f"transfer {transfer_id} has no payment file")
        message_id = "P" + transfer_id.replace("-", "")[:34]
        batch = _prepare(uow, tenant_id, [(row, decision)], lenient=False)
        return _stored_or_made(uow, tenant_id, message_id, batch, kind="single")


def batch_file(uow: UnitOfWork, *, tenant_id: str, debtor_account_id: str, on: date) -> PaymentFile:
    """The day's batch: every routed outbound transfer of an account sent on `on` that can go into
    a file; the others are listed in `left_out` with their code and reason.

    Raises:
        NotFound: no such account, or nothing to send that day.
        AddressUnstructured, RemittanceCharset, PaymentFileInvalid: none of the day's transfers
            can go into a file (the shared code of their reasons, else PAYMENT_FILE_INVALID);
            `left_out` lists each.
    """
    with uow:
        pairs = _sendable(uow, tenant_id, debtor_account_id, on)
        if not pairs:
            raise NotFound(f"no payments of account {debtor_account_id} to send on {on}")
        batch = _prepare(uow, tenant_id, pairs, lenient=True)
        while True:
            if not batch.items:
                raise _nothing_left(debtor_account_id, on, batch.left_out)
            digest = hashlib.sha256("|".join(i.row.id for i in batch.items).encode()).hexdigest()
            message_id = f"B{on:%Y%m%d}{digest[:26]}"
            try:
                made = _stored_or_made(uow, tenant_id, message_id, batch, kind="batch")
            except PaymentFileInvalid:
                narrowed = _without_invalid(batch, uow.clock.now())
                if len(narrowed.items) == len(batch.items):
                    raise
                batch = narrowed
                continue
            return replace(made, left_out=batch.left_out)


def _sendable(
    uow: UnitOfWork, tenant_id: str, debtor_account_id: str, on: date
) -> list[tuple[TransferRow, RoutedPayment]]:
    """The account's transfers routed to be sent on `on` that have a file, oldest first: the
    day's routed payments (settlement's), then those of them paid from the account (payments')."""
    payments = settlement_repository.routed_payments_sent_on(uow.session, tenant_id, on)
    rows = repository.account_transfer_rows(uow.session, tenant_id, debtor_account_id, payments)
    return [(row, payments[row.id]) for row in rows if _fileable(row, payments[row.id])]


def _nothing_left(account_id: str, on: date, left_out: Sequence[LeftOut]) -> Rejected:
    codes = {item.code for item in left_out}
    error_class = catalogue().get(codes.pop()) if len(codes) == 1 else None
    if error_class is None or not issubclass(error_class, Rejected):
        error_class = PaymentFileInvalid
    return error_class(
        f"none of the {len(left_out)} payments of account {account_id} to send on {on} can go "
        f"into a file: {left_out[0].detail}" + (" (and others)" if len(left_out) > 1 else ""),
        left_out=[item.to_document() for item in left_out],
    )


def _fileable(row: TransferRow, decision: RoutedPayment) -> bool:
    return (
        row.status in _FILED
        and not row.back_valued
        and decision.status == "routed"
        and decision.rail_id not in (None, "BOOK")
    )


def _stored_or_made(
    uow: UnitOfWork, tenant_id: str, message_id: str, batch: _Batch, *, kind: str
) -> PaymentFile:
    """The stored file, or a new one stored now; when a concurrent request stored it first, that
    one (the same message id is never made twice)."""
    found = _stored(uow, tenant_id, message_id)
    if found is not None:
        return found
    try:
        made = _make(uow, tenant_id, message_id, batch, kind=kind)
        uow.commit()
    except IntegrityError:
        uow.session.rollback()
        found = _stored(uow, tenant_id, message_id)
        if found is None:
            raise
        return found
    return made


def _stored(uow: UnitOfWork, tenant_id: str, message_id: str) -> PaymentFile | None:
    stored = settlement_repository.payment_file(uow.session, tenant_id, message_id)
    if stored is None:
        return None
    return PaymentFile(stored.message_id, stored.xml, stored.transfer_ids)


def _make(
    uow: UnitOfWork, tenant_id: str, message_id: str, batch: _Batch, *, kind: str
) -> PaymentFile:
    debtor = batch.parties.debtor_account
    information = _information(message_id, batch, batch.items)
    xml = pain001.build(
        message_id=message_id,
        created_at=uow.clock.now(),
        initiating_party=batch.parties.debtor_entity.name,
        payments=[information],
    ).decode("utf-8")
    ids = tuple(item.row.id for item in batch.items)
    settlement_repository.add_payment_file(
        uow.session,
        tenant_id=tenant_id,
        message_id=message_id,
        kind=kind,
        debtor_account_id=debtor.id,
        execution_date=information.execution_date,
        transfer_ids=ids,
        xml=xml,
        created_at=uow.clock.now(),
    )
    return PaymentFile(message_id, xml, ids)


def _information(
    message_id: str, batch: _Batch, items: Sequence[_Item]
) -> pain001.PaymentInformation:
    debtor = batch.parties.debtor_account
    return pain001.PaymentInformation(
        payment_information_id=message_id,
        execution_date=min(i.decision.send_date for i in items if i.decision.send_date),
        debtor=batch.debtor,
        debtor_account=debtor.number,
        debtor_agent_bic=debtor.bank_bic or "",
        charge_bearer="SHAR",
        transfers=[item.credit for item in items],
    )


def _prepare(
    uow: UnitOfWork,
    tenant_id: str,
    pairs: Sequence[tuple[TransferRow, RoutedPayment]],
    *,
    lenient: bool,
) -> _Batch:
    """The debtor side and each transfer's part of the file, checked one by one; `lenient` leaves
    out (with its reason) what cannot go, otherwise the first such error is raised."""
    first = repository.to_transfer(pairs[0][0])
    parties = pipeline.assemble(uow.session, tenant_id, request_of(first))
    entity = parties.debtor_entity
    debtor = pain001.Party(
        name=entity.name,
        address=file_readiness.debtor_address(parties),
        lei=entity.lei,
        uscc=entity.uscc,
    )
    items: list[_Item] = []
    left_out: list[LeftOut] = []
    for row, decision in pairs:
        try:
            pain001.structured_address(debtor.address, f"the debtor (entity {entity.code})")
            credit = _credit_transfer(uow, tenant_id, row, decision)
            pain001.check_transfer(credit)
        except Rejected as error:
            if not lenient:
                raise
            left_out.append(LeftOut(row.id, error.code, error.detail))
            continue
        items.append(_Item(row, decision, credit))
    return _Batch(parties, debtor, tuple(items), tuple(left_out))


def _without_invalid(batch: _Batch, now: datetime) -> _Batch:
    """The batch less the transfers whose own file would not validate (found one by one)."""
    items: list[_Item] = []
    left_out = list(batch.left_out)
    for item in batch.items:
        try:
            pain001.build(
                message_id="CHECK",
                created_at=now,
                initiating_party=batch.parties.debtor_entity.name,
                payments=[_information("CHECK", batch, [item])],
            )
        except PaymentFileInvalid as error:
            left_out.append(LeftOut(item.row.id, error.code, error.detail))
            continue
        items.append(item)
    return replace(batch, items=tuple(items), left_out=tuple(left_out))


def _credit_transfer(
    uow: UnitOfWork, tenant_id: str, row: TransferRow, decision: RoutedPayment
) -> pain001.CreditTransfer:
    transfer: Transfer = repository.to_transfer(row)
    parties = pipeline.assemble(uow.session, tenant_id, request_of(transfer))
    creditor, account, bic = _creditor(transfer, parties)
    return pain001.CreditTransfer(
        end_to_end_id=decision.end_to_end_id,
        uetr=decision.uetr,
        amount=transfer.amount,
        creditor=creditor,
        creditor_account=account,
        creditor_agent_bic=bic,
        bop_code=transfer.bop_code,
        remark=transfer.remark,
        rail=decision.rail,
    )


def _creditor(
    transfer: Transfer, parties: pipeline.Parties
) -> tuple[pain001.Party, str, str | None]:
    address = file_readiness.creditor_address(request_of(transfer), parties)
    if parties.counterparty is not None:
        found = parties.counterparty
        party = pain001.Party(name=found.name, address=address, lei=found.lei)
        return party, found.account or "", found.bank_bic
    if parties.creditor_account is not None and parties.creditor_entity is not None:
        entity = parties.creditor_entity
        party = pain001.Party(name=entity.name, address=address, lei=entity.lei, uscc=entity.uscc)
        return party, parties.creditor_account.number, parties.creditor_account.bank_bic
    inline = transfer.creditor or {}
    party = pain001.Party(name=str(inline.get("name", "")), address=address, lei=inline.get("lei"))
    return party, str(inline.get("account") or ""), inline.get("bank_bic")
