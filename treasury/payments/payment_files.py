"""Payment files: the pain.001 of a routed outbound transfer, and the day's batch per account.

Only a transfer that left through a routed rail (not BOOK, not back-valued, not rejected or held)
has a file. The file keeps the EndToEndId and UETR fixed when the transfer was routed, and is
stored as made: asking again returns the same message.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import NotFound
from treasury.payments import pipeline, repository
from treasury.payments.model import Transfer, TransferStatus, request_of
from treasury.payments.tables import TransferRow
from treasury.settlement import pain001
from treasury.settlement import repository as settlement_repository
from treasury.settlement.tables import PaymentMessageRow, RouteDecisionRow

_FILED = (TransferStatus.BOOKED.value, TransferStatus.ACCEPTED.value, TransferStatus.SETTLED.value)


@dataclass(frozen=True)
class PaymentFile:
    """A stored payment file."""

    message_id: str
    xml: str
    transfer_ids: tuple[str, ...]


def transfer_file(uow: UnitOfWork, *, tenant_id: str, transfer_id: str) -> PaymentFile:
    """The pain.001 of one routed outbound transfer (404 for any other).

    Raises:
        NotFound: no such transfer of the tenant, or one that has no payment file.
        AddressUnstructured, PaymentFileInvalid: see `pain001.build`.
    """
    with uow:
        row = repository.get_transfer_row(uow.session, tenant_id, transfer_id)
        decision = settlement_repository.decision_of(uow.session, tenant_id, transfer_id)
        if row is None or decision is None or not _fileable(row, decision):
            raise NotFound(f"transfer {transfer_id} has no payment file")
        message_id = "P" + transfer_id.replace("-", "")[:34]
        return _stored_or_made(uow, tenant_id, message_id, [(row, decision)], kind="single")


def batch_file(uow: UnitOfWork, *, tenant_id: str, debtor_account_id: str, on: date) -> PaymentFile:
    """The day's batch: every routed outbound transfer of an account sent on `on`.

    Raises:
        NotFound: no such account, or nothing to send that day.
    """
    with uow:
        query = (
            select(TransferRow, RouteDecisionRow)
            .join(RouteDecisionRow, RouteDecisionRow.transfer_id == TransferRow.id)
            .where(
                TransferRow.tenant_id == tenant_id,
                TransferRow.debtor_account_id == debtor_account_id,
                RouteDecisionRow.send_date == on,
            )
            .order_by(TransferRow.created_at, TransferRow.id)
        )
        pairs = [(t, d) for t, d in uow.session.execute(query).all() if _fileable(t, d)]
        if not pairs:
            raise NotFound(f"no payments of account {debtor_account_id} to send on {on}")
        digest = hashlib.sha256("|".join(t.id for t, _ in pairs).encode()).hexdigest()
        message_id = f"B{on:%Y%m%d}{digest[:26]}"
        return _stored_or_made(uow, tenant_id, message_id, pairs, kind="batch")


def _fileable(row: TransferRow, decision: RouteDecisionRow) -> bool:
    return (
        row.status in _FILED
        and not row.back_valued
        and decision.status == "routed"
        and decision.rail_id not in (None, "BOOK")
    )


def _stored_or_made(
    uow: UnitOfWork,
    tenant_id: str,
    message_id: str,
    pairs: list[tuple[TransferRow, RouteDecisionRow]],
    *,
    kind: str,
) -> PaymentFile:
    """The stored file, or a new one stored now; when a concurrent request stored it first, that
    one (the same message id is never made twice)."""
    found = _stored(uow, tenant_id, message_id)
    if found is not None:
        return found
    try:
        made = _make(uow, tenant_id, message_id, pairs, kind=kind)
        uow.commit()
    except IntegrityError:
        uow.session.rollback()
        found = _stored(uow, tenant_id, message_id)
        if found is None:
            raise
        return found
    return made


def _stored(uow: UnitOfWork, tenant_id: str, message_id: str) -> PaymentFile | None:
    row = uow.session.scalar(
        select(PaymentMessageRow).where(
            PaymentMessageRow.tenant_id == tenant_id, PaymentMessageRow.message_id == message_id
        )
    )
    if row is None:
        return None
    return PaymentFile(row.message_id, row.xml, tuple(json.loads(row.transfer_ids_json)))


def _make(
    uow: UnitOfWork,
    tenant_id: str,
    message_id: str,
    pairs: list[tuple[TransferRow, RouteDecisionRow]],
    *,
    kind: str,
) -> PaymentFile:
    first = repository.to_transfer(pairs[0][0])
    parties = pipeline.assemble(uow.session, tenant_id, request_of(first))
    debtor = parties.debtor_account
    execution = min(d.send_date for _, d in pairs if d.send_date is not None)
    information = pain001.PaymentInformation(
        payment_information_id=message_id,
        execution_date=execution,
        debtor=pain001.Party(
            name=parties.debtor_entity.name,
            lei=parties.debtor_entity.lei,
            uscc=parties.debtor_entity.uscc,
        ),
        debtor_account=debtor.number,
        debtor_agent_bic=debtor.bank_bic or "",
        charge_bearer="SHAR",
        transfers=[_credit_transfer(uow, tenant_id, t, d) for t, d in pairs],
    )
    xml = pain001.build(
        message_id=message_id,
        created_at=uow.clock.now(),
        initiating_party=parties.debtor_entity.name,
        payments=[information],
    ).decode("utf-8")
    ids = tuple(t.id for t, _ in pairs)
    uow.session.add(
        PaymentMessageRow(
            id=new_id(),
            tenant_id=tenant_id,
            message_id=message_id,
            kind=kind,
            debtor_account_id=debtor.id,
            execution_date=execution,
            transfer_ids_json=json.dumps(list(ids)),
            xml=xml,
            created_at=uow.clock.now(),
        )
    )
    uow.session.flush()
    return PaymentFile(message_id, xml, ids)


def _credit_transfer(
    uow: UnitOfWork, tenant_id: str, row: TransferRow, decision: RouteDecisionRow
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
    )


def _creditor(
    transfer: Transfer, parties: pipeline.Parties
) -> tuple[pain001.Party, str, str | None]:
    if parties.counterparty is not None:
        found = parties.counterparty
        party = pain001.Party(name=found.name, address=found.address, lei=found.lei)
        return party, found.account or "", found.bank_bic
    if parties.creditor_account is not None and parties.creditor_entity is not None:
        entity = parties.creditor_entity
        # A group entity keeps only its country: no town, so no structured address (refused).
        party = pain001.Party(name=entity.name, address=None, lei=entity.lei, uscc=entity.uscc)
        return party, parties.creditor_account.number, parties.creditor_account.bank_bic
    inline = transfer.creditor or {}
    party = pain001.Party(
        name=str(inline.get("name", "")), address=inline.get("address"), lei=inline.get("lei")
    )
    return party, str(inline.get("account") or ""), inline.get("bank_bic")
