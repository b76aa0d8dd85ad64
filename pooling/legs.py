"""Posting a run: cross-border legs through the transfer pipeline, the rest as one entry.

A cross-border leg is a transfer (purpose `cash_pool`) through the same steps as any payment —
assemble, check, route, screen on the route's value date (with the pool's facts: its master, its
filing, a quota breach), then reject, hold or book on that route. Legs between residents move
cash inside the sweep's one journal entry. Every leg between two entities also records the
intercompany loan: the member's receivable from the host and the host's payable (or the reverse),
so positions across the group net to zero.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from compliance.model import Finding, Severity
from pooling.plan import Direction, LegStatus, PlannedLeg
from pooling.tables import PoolRow
from treasury.accounts.model import market_of
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import (
    AddressUnstructured,
    RemittanceCharset,
    RouteUnavailable,
)
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import InternalAccount, LedgerAccountKind, Posting
from treasury.money import Money
from treasury.payments import extensions, outcomes, pipeline, screening
from treasury.payments import repository as payments_repository
from treasury.payments.model import Purpose, TransferRequest, TransferStatus
from treasury.settlement import charsets
from treasury.tenancy.model import Principal


def cross_border_leg(
    uow: UnitOfWork,
    *,
    pool: PoolRow,
    leg: PlannedLeg,
    value_date: date,
    today: date,
    actor: Principal,
    breached: Sequence[str],
    policy: str,
) -> tuple[PlannedLeg, str]:
    """Send a leg through the pipeline; return the leg with its outcome, and the transfer id."""
    to_master = leg.direction is Direction.TO_MASTER
    request = leg_request(pool, leg, value_date)
    row = payments_repository.new_transfer_row(
        transfer_id=new_id(),
        tenant_id=pool.tenant_id,
        actor=actor,
        request=request,
        today=today,
        now=uow.clock.now(),
        crosses_border=True,
    )
    parties = pipeline.assemble(uow.session, pool.tenant_id, request)
    row.market = market_of(parties.debtor_account)
    creditor_amount = pipeline.check(request, parties)
    # Routed first and screened on the route's value date: the rules in force when money moves.
    decision = pipeline.decide(
        uow.session, parties, request, value_date, today=today, now=uow.clock.now()
    )
    context = screening.payment_context(
        uow.session,
        tenant_id=pool.tenant_id,
        request=request,
        parties=parties,
        value_date=value_date if decision.chosen is None else decision.chosen.value_date,
        fact_sources=extensions.of(uow).fact_sources,
        exclude_transfer_id=row.id,
    )
    facts = {
        **context.facts,
        "debtor_is_pool_master": not to_master,
        "creditor_is_pool_master": to_master,
        "pool_quota": {
            "breached": list(breached),
            "policy": policy,
            "requested": str(Money.from_minor(leg.requested_minor, pool.currency)),
        },
    }
    findings = screening.screen(replace(context, facts=facts))
    screened = outcomes.Screened(row, request, parties, creditor_amount, findings, decision)
    try:
        outcomes.proceed(uow, screened, actor=actor, today=today)
    except RouteUnavailable as error:
        outcomes.reject(uow, row, [*findings, _route_finding(str(error))], actor=actor)
    except (AddressUnstructured, RemittanceCharset) as error:  # no payment file: the leg only
        outcomes.reject(uow, row, [*findings, _file_finding(error)], actor=actor)
    return _outcome(leg, row.status, row.findings_json), row.id


def leg_request(pool: PoolRow, leg: PlannedLeg, value_date: date) -> TransferRequest:
    """The payment a leg makes: member → master or master → member, purpose `cash_pool`."""
    master, member = pool.master_account_id, leg.account_id
    to_master = leg.direction is Direction.TO_MASTER
    reference = (
        {}
        if pool.filing_ref is None
        else {"pool_filing": pool.filing_ref, "registration": pool.filing_ref}
    )
    return TransferRequest(
        debtor_account_id=member if to_master else master,
        creditor_account_id=master if to_master else member,
        amount=Money.from_minor(leg.amount_minor, pool.currency),
        value_date=value_date,
        purpose=Purpose.CASH_POOL,
        bop_code=pool.bop_code,
        references=reference,
        # Written by the service, so fitted to the SWIFT x set: any rail the leg takes carries it.
        remark=charsets.to_x_set(f"cash pool {pool.name} sweep {leg.direction.value}"),
    )


def leg_route(
    session: Session,
    pool: PoolRow,
    leg: PlannedLeg,
    value_date: date,
    *,
    today: date,
    now: datetime,
) -> dict[str, Any] | None:
    """The rail a cross-border leg would take now (the router's decision; nothing is booked).

    Legs between residents move inside the run's one entry and take no rail: None.
    """
    if not leg.cross_border or leg.amount_minor <= 0:
        return None
    request = leg_request(pool, leg, value_date)
    parties = pipeline.assemble(session, pool.tenant_id, request)
    decision = pipeline.decide_route(
        session,
        pipeline.route_request(parties, request, submitted_at=now, requested=value_date),
        today=today,
    )
    chosen = decision.chosen
    if chosen is None:
        return {"status": decision.status.value, "reasons": list(decision.reasons)}
    return {"status": decision.status.value, **chosen.to_document()}


def _route_finding(message: str) -> Finding:
    return Finding("ROUTE_UNAVAILABLE", Severity.BLOCK, message, "无可用清算路径", "routing")


def _file_finding(error: AddressUnstructured | RemittanceCharset) -> Finding:
    message = f"{error.code}: {error.detail}"
    return Finding(error.code, Severity.BLOCK, message, "无法生成付款文件", "payment-file")


def _outcome(leg: PlannedLeg, status_value: str, findings_json: str) -> PlannedLeg:
    status = TransferStatus(status_value)
    if status is TransferStatus.HELD:
        rules = sorted({f["rule"] for f in json.loads(findings_json)})
        return replace(
            leg, status=LegStatus.HELD, reason=leg.reason or f"held for review: {', '.join(rules)}"
        )
    if status is TransferStatus.REJECTED:
        blocking = [f["message"] for f in json.loads(findings_json) if f["severity"] == "block"]
        return replace(
            leg, status=LegStatus.REJECTED, reason="; ".join(blocking)[:500] or "rejected"
        )
    return leg


def internal_accounts(
    session: Session,
    *,
    tenant_id: str,
    currency: str,
    wanted: Sequence[tuple[str, LedgerAccountKind, str | None]],
    now: datetime,
) -> dict[tuple[str, LedgerAccountKind, str | None], str]:
    """Internal ledger accounts (owner entity, kind, counterpart) by id, made by the ledger in
    bulk when missing."""
    specs = {
        spec: InternalAccount(spec[0], spec[1], currency, spec[2]) for spec in dict.fromkeys(wanted)
    }
    rows = ledger_repository.internal_accounts(
        session, tenant_id=tenant_id, wanted=specs.values(), created_at=now
    )
    return {spec: rows[account].id for spec, account in specs.items()}


Loans = dict[tuple[str, LedgerAccountKind, str | None], str]
_RECEIVABLE = LedgerAccountKind.INTERCOMPANY_RECEIVABLE
_PAYABLE = LedgerAccountKind.INTERCOMPANY_PAYABLE


def intercompany_accounts(
    session: Session, pool: PoolRow, entity_ids: Sequence[str], now: datetime
) -> Loans:
    """Both sides of the loans between the host and these entities (made in bulk)."""
    host = pool.host_entity_id
    wanted: list[tuple[str, LedgerAccountKind, str | None]] = []
    for entity_id in entity_ids:
        for kind in (_RECEIVABLE, _PAYABLE):
            wanted += [(entity_id, kind, host), (host, kind, entity_id)]
    return internal_accounts(
        session, tenant_id=pool.tenant_id, currency=pool.currency, wanted=wanted, now=now
    )


def loan_postings(
    host_id: str, entity_id: str, direction: Direction, amount: Money, accounts: Loans
) -> list[Posting]:
    """The intercompany loan of one leg: member lends (to master) or borrows (from master)."""
    if direction is Direction.TO_MASTER:
        debit = accounts[(entity_id, _RECEIVABLE, host_id)]
        credit = accounts[(host_id, _PAYABLE, entity_id)]
    else:
        debit = accounts[(host_id, _RECEIVABLE, entity_id)]
        credit = accounts[(entity_id, _PAYABLE, host_id)]
    return [Posting(debit_account_id=debit, credit_account_id=credit, amount=amount)]


def cash_posting(master_id: str, leg: PlannedLeg, amount: Money) -> Posting:
    """The cash movement of a leg between residents."""
    if leg.direction is Direction.TO_MASTER:
        return Posting(debit_account_id=master_id, credit_account_id=leg.account_id, amount=amount)
    return Posting(debit_account_id=leg.account_id, credit_account_id=master_id, amount=amount)
