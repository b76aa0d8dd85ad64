"""The transfer pipeline run top-down (`run`), and what happens to a transfer once screened:
booked, held for review, rejected, or recorded.

Plain steps inside the caller's unit of work, shared by new transfers, review decisions and
cash-pool legs; each outcome moves the transfer through `lifecycle.transition`, which leaves the
audit event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import inspect

from compliance import repository as review_repository
from compliance.model import Finding, ReviewKind, Severity, worst
from treasury.accounts.model import market_of
from treasury.audit import service as audit
from treasury.audit.repository import NewEvent
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry
from treasury.money import Money
from treasury.payments import extensions, file_readiness, lifecycle, pipeline, screening
from treasury.payments import repository as payments_repository
from treasury.payments.model import (
    TransferRequest,
    TransferStatus,
    insufficient_funds_finding,
    may_move,
    overdrawn_record_finding,
)
from treasury.payments.tables import TransferRow
from treasury.refdata import repository as refdata
from treasury.settlement import repository as settlement_repository
from treasury.settlement.model import RouteDecision, RouteRequest
from treasury.tenancy import repository as tenancy
from treasury.tenancy.model import Principal


@dataclass(frozen=True)
class Screened:
    """A transfer ready for its outcome: both sides, the creditor amount, the findings."""

    row: TransferRow
    request: TransferRequest
    parties: pipeline.Parties
    creditor_amount: Money | None
    findings: list[Finding]
    decision: RouteDecision | None = None  # the route decided before screening, when one was


def run(
    uow: UnitOfWork,
    row: TransferRow,
    request: TransferRequest,
    *,
    actor: Principal,
    today: date,
    approved: bool = False,
) -> None:
    """The transfer pipeline, top-down: assemble → check → route → screen → outcome.

    The rules are those in force on the day the money moves: a payment to send is routed first
    and screened on its route's value date — a Friday payment past the cut-off goes on Monday and
    meets Monday's rules; a back-valued record (or a payment no rail carries: `book` refuses it)
    is screened on the requested value date. Then a block rejects, a review holds, anything else
    is booked; a record is booked whatever its findings. `approved` (an officer approved the hold)
    books past review findings; a block found now still rejects.
    """
    screened = screen_transfer(uow, row, request, today=today)
    if row.back_valued:
        record_back_valued(uow, screened, actor=actor)
    elif approved and worst(screened.findings) is not Severity.BLOCK:
        book(uow, screened, actor=actor, today=today)
    else:
        proceed(uow, screened, actor=actor, today=today)


Decider = Callable[[RouteRequest], RouteDecision]
"""The router's decision on a route request (a payment run decides each distinct one once)."""


def screen_transfer(
    uow: UnitOfWork,
    row: TransferRow,
    request: TransferRequest,
    *,
    today: date,
    known: pipeline.Known | None = None,
    decider: Decider | None = None,
    now: datetime | None = None,
) -> Screened:
    """The pipeline up to its outcome: assemble → check → route → screen; writes nothing but
    the row's fields (`run` takes it on to its outcome; a payment run its items, in bulk).

    `known` (the tenant's master data read already), `decider` and `now` (the moment the
    payment is submitted) are a payment run's: by default each is read or decided here.

    Raises:
        NotFound, CurrencyMismatch, FxRateRequired, BopCodeRequired, ValidationFailed: see
            `pipeline.assemble` and `pipeline.check`.
    """
    parties = pipeline.assemble(uow.session, row.tenant_id, request, known)
    creditor_amount = pipeline.check(request, parties)
    _keep_sides(row, parties, creditor_amount)
    if request.fx_quote is not None:  # the rate it converts at, derived from the quote
        row.fx_rate = pipeline.effective_rate(request, parties)
    decision = None
    if not row.back_valued:
        submitted = uow.clock.now() if now is None else now
        route_request = pipeline.route_request(
            parties, request, submitted_at=submitted, requested=row.requested_value_date
        )
        decision = (
            pipeline.decide_route(uow.session, route_request, today=today)
            if decider is None
            else decider(route_request)
        )
    screen_on = request.value_date if row.back_valued else max(request.value_date, today)
    if decision is not None and decision.chosen is not None:
        screen_on = decision.chosen.value_date
    context = screening.payment_context(
        uow.session,
        tenant_id=row.tenant_id,
        request=request,
        parties=parties,
        value_date=screen_on,
        fact_sources=extensions.of(uow).fact_sources,
        exclude_transfer_id=row.id,
    )
    return Screened(row, request, parties, creditor_amount, screening.screen(context), decision)


def _keep_sides(row: TransferRow, parties: pipeline.Parties, creditor_amount: Money | None) -> None:
    """What the check found out about both sides, kept on the transfer."""
    row.crosses_border = parties.crosses_border
    row.market = market_of(parties.debtor_account)
    if creditor_amount is not None:
        row.creditor_amount_minor = creditor_amount.minor
        row.creditor_currency = creditor_amount.currency.code


def proceed(uow: UnitOfWork, screened: Screened, *, actor: Principal, today: date) -> None:
    """Reject on a block, hold on a review, else check funds, route and book."""
    verdict = worst(screened.findings)
    if verdict is Severity.BLOCK:
        reject(uow, screened.row, screened.findings, actor=actor)
    elif verdict is Severity.REVIEW:
        hold(uow, screened, actor=actor)
    else:
        book(uow, screened, actor=actor, today=today)


def reject(uow: UnitOfWork, row: TransferRow, findings: list[Finding], *, actor: Principal) -> None:
    """The transfer stays on record, rejected, with its findings."""
    _settle(uow, row, TransferStatus.REJECTED, findings, actor=actor)


def hold(uow: UnitOfWork, screened: Screened, *, actor: Principal) -> None:
    """Reserve the amount and open a review item (or reject when funds are short).

    Raises:
        AddressUnstructured, RemittanceCharset: it will need a payment file (on the route decided
            before screening, else unless it goes between own accounts at one bank) and cannot
            have one; nothing is held.
    """
    decided = screened.decision.chosen if screened.decision is not None else None
    file_readiness.check_file_possible(
        screened.request,
        screened.parties,
        back_valued=screened.row.back_valued,
        rail=None if decided is None else decided.rail.value,
    )
    if not _funds_suffice(uow, screened, actor=actor):
        return
    row, amount = screened.row, screened.request.amount
    _insert(uow, row)  # the transfer row exists before the review that points at it
    pipeline.reserve(uow.session, row.tenant_id, row.debtor_account_id, amount)
    row.reserved_minor = amount.minor
    row.review_id = review_repository.open_review(
        uow.session,
        tenant_id=row.tenant_id,
        transfer_id=row.id,
        kind=ReviewKind.HOLD,
        findings=screened.findings,
        required_approvals=required_approvals(uow, row.tenant_id, amount, row.requested_value_date),
        created_by_token_id=row.created_by_token_id,
        created_at=uow.clock.now(),
    )
    _settle(uow, row, TransferStatus.HELD, screened.findings, actor=actor)


def book(uow: UnitOfWork, screened: Screened, *, actor: Principal, today: date) -> None:
    """Check funds, route and post on the route's value date.

    Raises:
        AddressUnstructured, RemittanceCharset: the route needs a payment file and the transfer
            cannot have one (`file_readiness`); nothing is posted.
    """
    if not _funds_suffice(uow, screened, actor=actor):
        return
    row = screened.row
    decision = pipeline.require_routed(
        screened.decision
        or pipeline.decide(
            uow.session,
            screened.parties,
            screened.request,
            row.requested_value_date,
            today=today,
            now=uow.clock.now(),
        )
    )
    route = decision.chosen
    assert route is not None  # a decision that is not routed raised
    file_readiness.check_file_possible(
        screened.request, screened.parties, back_valued=row.back_valued, rail=route.rail.value
    )
    entry = _post(uow, screened, route.value_date, enforce_limits=True)
    row.value_date, row.journal_entry_id = route.value_date, entry.id
    # A Core insert (never read back in this unit of work): no ORM flush on the booking's path.
    settlement_repository.save_decisions(
        uow.session,
        [
            settlement_repository.decision_values(
                row.tenant_id, row.id, decision.to_document(), uow.clock.now()
            )
        ],
    )
    row.route_json = json.dumps(
        {**route.to_document(), "ruleset_version": decision.ruleset_version}
    )
    _open_post_checks(uow, screened)
    _settle(uow, row, TransferStatus.BOOKED, screened.findings, actor=actor)


# Findings that book the payment and put it in the officers' queue for a check after the event.
POST_CHECK_RULES = frozenset({"CAPITAL_PAYMENT_POST_CHECK"})


def _open_post_checks(uow: UnitOfWork, screened: Screened) -> None:
    checks = [f for f in screened.findings if f.rule in POST_CHECK_RULES]
    if not checks:
        return
    row = screened.row
    _insert(uow, row)
    row.review_id = review_repository.open_review(
        uow.session,
        tenant_id=row.tenant_id,
        transfer_id=row.id,
        kind=ReviewKind.POST_EVENT,
        findings=checks,
        required_approvals=1,
        created_by_token_id=row.created_by_token_id,
        created_at=uow.clock.now(),
    )


def record_back_valued(uow: UnitOfWork, screened: Screened, *, actor: Principal) -> None:
    """A payment the bank already made: booked as a record whatever the findings.

    A block or review finding opens a post-event review item instead of a hold; so does a record
    that overdraws the account beyond its limit (`INSUFFICIENT_FUNDS`, severity review).
    """
    row = screened.row
    overdrawn = _overdrawn_record_finding(uow, screened)
    if overdrawn is not None:
        screened = replace(screened, findings=[*screened.findings, overdrawn])
    entry = _post(uow, screened, row.requested_value_date, enforce_limits=False)
    row.value_date, row.journal_entry_id = row.requested_value_date, entry.id
    if worst(screened.findings) in (Severity.BLOCK, Severity.REVIEW):
        _insert(uow, row)
        row.review_id = review_repository.open_review(
            uow.session,
            tenant_id=row.tenant_id,
            transfer_id=row.id,
            kind=ReviewKind.POST_EVENT,
            findings=screened.findings,
            required_approvals=1,
            created_by_token_id=row.created_by_token_id,
            created_at=uow.clock.now(),
        )
    _settle(uow, row, TransferStatus.BOOKED, screened.findings, actor=actor)


def _overdrawn_record_finding(uow: UnitOfWork, screened: Screened) -> Finding | None:
    row, amount = screened.row, screened.request.amount
    lock_both_sides(uow, row)
    available = pipeline.available_to_spend(
        uow.session, row.tenant_id, row.debtor_account_id, row.requested_value_date
    )
    if amount.minor <= available.minor:
        return None
    return overdrawn_record_finding(amount=amount, available=available)


def _insert(uow: UnitOfWork, row: TransferRow) -> None:
    uow.session.add(row)
    uow.session.flush()


def lock_both_sides(uow: UnitOfWork, row: TransferRow) -> None:
    """Lock the debtor's and an internal creditor's balances together, in ascending id order.

    Called before anything locks the debtor alone: transfers (and review decisions) racing in
    opposite directions between two accounts would otherwise deadlock on PostgreSQL.
    """
    creditor = row.creditor_account_id
    sides = [row.debtor_account_id] + ([] if creditor is None else [creditor])
    ledger_repository.lock_accounts(uow.session, row.tenant_id, sides)


def _funds_suffice(uow: UnitOfWork, screened: Screened, *, actor: Principal) -> bool:
    row, amount = screened.row, screened.request.amount
    lock_both_sides(uow, row)
    available = pipeline.available_to_spend(
        uow.session, row.tenant_id, row.debtor_account_id, row.requested_value_date
    )
    if amount.minor <= available.minor:
        return True
    funds = insufficient_funds_finding(amount=amount, available=available)
    reject(uow, row, [*screened.findings, funds], actor=actor)
    return False


def _post(
    uow: UnitOfWork, screened: Screened, value_date: date, *, enforce_limits: bool
) -> JournalEntry:
    return pipeline.book(
        uow.session,
        tenant_id=screened.row.tenant_id,
        transfer_id=screened.row.id,
        parties=screened.parties,
        amount=screened.request.amount,
        creditor_amount=screened.creditor_amount,
        value_date=value_date,
        description=pipeline.describe(screened.request),
        now=uow.clock.now(),
        enforce_limits=enforce_limits,
    )


def _settle(
    uow: UnitOfWork,
    row: TransferRow,
    status: TransferStatus,
    findings: list[Finding],
    *,
    actor: Principal,
) -> None:
    if inspect(row).transient:  # a new transfer's first outcome: written by Core inserts
        event = settle_new(row, status, findings, actor=actor.name, now=uow.clock.now())
        payments_repository.insert_transfers(uow.session, [row])
        audit.record_many(uow.session, [event])
        return
    row.findings_json = json.dumps([finding.to_document() for finding in findings])
    lifecycle.transition(uow, row, status, actor=actor.name, details=outcome_details(row, findings))


def settle_new(
    row: TransferRow,
    status: TransferStatus,
    findings: list[Finding],
    *,
    actor: str,
    now: datetime,
) -> NewEvent:
    """`lifecycle.transition` for a new transfer's row that is not in the session (the caller
    writes it, and the event returned, by Core inserts): the move checked, the row moved, the
    event that `transition` would record.

    Raises:
        Conflict: see `lifecycle.transition`.
    """
    if not may_move(row.status, status):
        raise Conflict(f"transfer {row.id} is {row.status}; it cannot become {status.value}")
    row.findings_json = json.dumps([finding.to_document() for finding in findings])
    row.status = status.value
    row.updated_at = now
    return NewEvent(
        tenant_id=row.tenant_id,
        actor=actor,
        action=f"transfer.{status.value}",
        object_type="transfer",
        object_id=row.id,
        before=None,
        after={"status": row.status, **outcome_details(row, findings)},
        occurred_at=now,
    )


def outcome_details(row: TransferRow, findings: list[Finding]) -> dict[str, object]:
    """What the audit event of a transfer's outcome records besides its status."""
    return {
        "amount": row.amount_minor,
        "currency": row.currency,
        "value_date": None if row.value_date is None else row.value_date.isoformat(),
        "journal_entry_id": row.journal_entry_id,
        "review_id": row.review_id,
        "rules": sorted({finding.rule for finding in findings}),
    }


def required_approvals(uow: UnitOfWork, tenant_id: str, amount: Money, on: date) -> int:
    """Two officers at or above the tenant's dual-approval threshold (CNY equivalent), else one.

    Amount and threshold are both compared in CNY at the reference rates of `on`, whatever
    currency the tenant set the threshold in. Without a rate to compare, two are required (the
    safe side).
    """
    settings = tenancy.effective_settings(uow.session, tenant_id)
    configured = settings["dual_approval_threshold"]
    threshold = _cny_equivalent(uow, Money.of(configured["amount"], configured["currency"]), on)
    cny = _cny_equivalent(uow, amount, on)
    return 2 if cny is None or threshold is None or cny >= threshold else 1


def _cny_equivalent(uow: UnitOfWork, amount: Money, on: date) -> Decimal | None:
    if amount.currency.code == "CNY":
        return amount.amount
    rate = refdata.reference_rate_on(uow.session, f"{amount.currency.code}CNY", on)
    return None if rate is None else amount.amount * rate.rate
