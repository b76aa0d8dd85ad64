"""The transfer pipeline for a payment run's items together: the single transfer's steps, read and
written in bulk.

The same steps decide every item (`service.new_row`, `outcomes.screen_transfer`, the funds check
of `outcomes.book`, `pipeline.require_routed`, `file_readiness`, `pipeline.journal_entry`,
`ledger.posting.post_entries`) and each item meets them in the run's order, so its outcome is the
one it would have had posted on its own after the items before it. What changes is how often the
database is asked:

1. Decide (nothing written): the items' bank accounts, their entities and counterparties read
   in one query each (`pipeline.Known`); reference data and parameters once (their caches);
   each distinct route request decided once; screening in memory. An item that raises here is
   `invalid` with its error and has written nothing, so it needs no savepoint.
2. Write, in segments of consecutive items, every bank account of the run locked once in id
   order before them (`_lock_sides`): a segment's later day movements read once; the funds check
   of each item in memory against the balances as the items before it left them (`_Balances`,
   the ledger's own `lowest_balance_from`); then one `post_entries` for the segment's entries and
   one Core insert each for its transfer rows, route decisions and audit events — no ORM flush
   per item.

Items whose outcome writes more than a booking or a rejection, or whose screening reads what the
run itself writes, go through the single transfer's path (`service.run_steps`) in a savepoint of
their own, at their turn, after the segment before them is written: back-valued records, holds
(review findings: a reservation and a review item), post-event checks, petty cash (its monthly
total) and loans (pooling's outstanding lending). A segment whose write is refused (a balance
beyond what the ledger stores: nothing is written) is rolled back and its items go through the
single path one by one, each with its own outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from compliance.model import Severity, worst
from treasury.audit import service as audit
from treasury.audit.repository import NewEvent
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import TreasuryError
from treasury.ledger import model as ledger_model
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry
from treasury.money import Money
from treasury.payments import file_readiness, outcomes, pipeline, repository
from treasury.payments.model import (
    Purpose,
    TransferRequest,
    TransferStatus,
    insufficient_funds_finding,
)
from treasury.payments.service import transfers as service
from treasury.payments.tables import TransferRow
from treasury.settlement import repository as settlement_repository
from treasury.settlement.model import RouteDecision, RouteRequest
from treasury.tenancy.model import Principal

# Purposes whose screening reads what the run itself writes (the month's petty cash, pooling's
# outstanding outbound lending): screened at their turn, on the single path.
_SCREENED_AT_TURN = frozenset({Purpose.PETTY_CASH, Purpose.LOAN})
_FAR_FUTURE = date(9999, 12, 31)


@dataclass(frozen=True)
class Outcome:
    """One item's result: its transfer row (with status and findings), or the error it raised."""

    transfer: TransferRow | None
    error: TreasuryError | None


@dataclass
class _Decided:
    """An item screened (nothing written), with what its write will need."""

    index: int
    screened: outcomes.Screened


@dataclass
class _Single:
    """An item that takes the single transfer's path at its turn."""

    index: int
    request: TransferRequest


Step = _Decided | _Single
Progress = Callable[[int], None]


def run_items(
    uow: UnitOfWork,
    principal: Principal,
    requests: Sequence[TransferRequest | None],
    today_: date,
    *,
    progress: Progress | None = None,
) -> list[Outcome | None]:
    """Every request through the pipeline, in order; None for an item without a request.

    `progress` is told how many items have an outcome, after each segment and single item.
    """
    now = uow.clock.now()
    results: list[Outcome | None] = [None] * len(requests)
    steps = _decide_all(uow, principal, requests, today_, now, results)
    _lock_sides(uow, principal, steps)
    done = 0
    segment: list[_Decided] = []
    for step in [*steps, None]:
        if isinstance(step, _Decided):
            segment.append(step)
            continue
        if segment:
            _write_segment(uow, principal, segment, today_, now, results)
            done += len(segment)
            segment = []
        if step is not None:
            results[step.index] = _single(uow, principal, step.request, today_)
            done += 1
        if progress is not None:
            progress(done)
    return results


def _decide_all(
    uow: UnitOfWork,
    principal: Principal,
    requests: Sequence[TransferRequest | None],
    today_: date,
    now: datetime,
    results: list[Outcome | None],
) -> list[Step]:
    """Each item screened, writing nothing: to write in bulk, to take the single path at its
    turn, or (into `results`) the error it raised."""
    assert principal.tenant_id is not None
    known = _known(uow, principal.tenant_id, requests)
    decider = _memoised_decider(uow, today_)
    steps: list[Step] = []
    for index, request in enumerate(requests):
        if request is None:
            continue
        if request.purpose in _SCREENED_AT_TURN:
            steps.append(_Single(index, request))
            continue
        try:
            row = service.new_row(uow, principal, new_id(), request, today_)
            if row.back_valued:
                steps.append(_Single(index, request))
                continue
            screened = outcomes.screen_transfer(
                uow, row, request, today=today_, known=known, decider=decider, now=now
            )
        except TreasuryError as error:
            results[index] = Outcome(None, error)
            continue
        if _needs_single_path(screened):
            steps.append(_Single(index, request))
        else:
            steps.append(_Decided(index, screened))
    return steps


def _lock_sides(uow: UnitOfWork, principal: Principal, steps: Sequence[Step]) -> None:
    """Lock every bank account the run's items pay from or into, once, in ascending id order,
    before any internal account: a transfer posted meanwhile takes its accounts the same way
    (its sides, then the internal ones), so it cannot hold a side the run still needs while
    waiting for an internal account the run holds (a deadlock on PostgreSQL)."""
    assert principal.tenant_id is not None
    sides: set[str] = set()
    for step in steps:
        request = step.screened.request if isinstance(step, _Decided) else step.request
        sides.add(request.debtor_account_id)
        if request.creditor_account_id is not None:
            sides.add(request.creditor_account_id)
    ledger_repository.lock_accounts(uow.session, principal.tenant_id, sides)


def _needs_single_path(screened: outcomes.Screened) -> bool:
    verdict = worst(screened.findings)
    if verdict is Severity.BLOCK:
        return False  # rejected: a row and its event
    if verdict is Severity.REVIEW:
        return True  # held: a reservation and a review item
    return any(finding.rule in outcomes.POST_CHECK_RULES for finding in screened.findings)


def _single(
    uow: UnitOfWork, principal: Principal, request: TransferRequest, today_: date
) -> Outcome:
    try:
        with ledger_repository.savepoint(uow.session):
            return Outcome(service.run_steps(uow, principal, request, today_), None)
    except TreasuryError as error:
        return Outcome(None, error)


def _known(
    uow: UnitOfWork, tenant_id: str, requests: Iterable[TransferRequest | None]
) -> pipeline.Known:
    """The items' bank accounts, their entities and counterparties: one read each."""
    account_ids: set[str] = set()
    counterparty_ids: set[str] = set()
    for request in requests:
        if request is None:
            continue
        account_ids.add(request.debtor_account_id)
        if request.creditor_account_id is not None:
            account_ids.add(request.creditor_account_id)
        if request.counterparty_id is not None:
            counterparty_ids.add(request.counterparty_id)
    return pipeline.Known.read(uow.session, tenant_id, account_ids, counterparty_ids)


def _memoised_decider(uow: UnitOfWork, today_: date) -> outcomes.Decider:
    """The router's decision per distinct route request, decided once: routing is a function of
    the request and the reference data and calendars in force today."""
    decided: dict[RouteRequest, RouteDecision] = {}

    def decide(route_request: RouteRequest) -> RouteDecision:
        found = decided.get(route_request)
        if found is None:
            found = pipeline.decide_route(uow.session, route_request, today=today_)
            decided[route_request] = found
        return found

    return decide


class _Balance(Protocol):
    """What the funds check reads of a locked balance row."""

    balance_minor: int
    reserved_minor: int
    overdraft_limit_minor: int | None


@dataclass
class _Balances:
    """The segment's balances (locked) as its items leave them, for the funds check in memory."""

    rows: Mapping[str, _Balance]
    later: dict[str, dict[date, int]]
    pending: dict[str, int] = field(default_factory=dict)

    def available(self, account_id: str, value_date: date) -> int:
        """`pipeline.available_to_spend` of the account after the segment's items so far."""
        account = self.rows[account_id]
        days = self.later.get(account_id, {})
        movements = [days[day] for day in sorted(days) if day > value_date]
        balance = account.balance_minor + self.pending.get(account_id, 0)
        lowest = ledger_model.lowest_balance_from(balance, movements)
        return lowest - account.reserved_minor + (account.overdraft_limit_minor or 0)

    def apply(self, entry: JournalEntry) -> None:
        """The entry's movements, as if posted."""
        changes = ledger_model.balance_changes(entry.postings)
        for account_id, change in changes.items():
            self.pending[account_id] = self.pending.get(account_id, 0) + change
            days = self.later.setdefault(account_id, {})
            days[entry.value_date] = days.get(entry.value_date, 0) + change


def _write_segment(
    uow: UnitOfWork,
    principal: Principal,
    segment: Sequence[_Decided],
    today_: date,
    now: datetime,
    results: list[Outcome | None],
) -> None:
    """Book or reject the segment's items in order, writing them together; if the write is
    refused, roll it back and take its items through the single path one by one."""
    written: dict[int, Outcome] = {}
    try:
        with ledger_repository.savepoint(uow.session):
            written = _book_segment(uow, principal, segment, now)
    except TreasuryError:
        written = {
            step.index: _single(uow, principal, step.screened.request, today_) for step in segment
        }
    for index, outcome in written.items():
        results[index] = outcome


def _book_segment(
    uow: UnitOfWork, principal: Principal, segment: Sequence[_Decided], now: datetime
) -> dict[int, Outcome]:
    session = uow.session
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    sides: set[str] = set()
    for step in segment:
        row = step.screened.row
        sides.add(row.debtor_account_id)
        if row.creditor_account_id is not None:
            sides.add(row.creditor_account_id)
    locked = ledger_repository.lock_accounts(session, tenant_id, sides)
    start = min(step.screened.row.requested_value_date for step in segment)
    later: dict[str, dict[date, int]] = {}
    for account_id, day, movement in ledger_repository.day_movements(
        session, sorted(locked), start + timedelta(days=1), _FAR_FUTURE
    ):
        later.setdefault(account_id, {})[day] = movement
    balances = _Balances(locked, later)
    outcomes_: dict[int, Outcome] = {}
    rows: list[TransferRow] = []
    entries: list[JournalEntry] = []
    decisions: list[dict[str, object]] = []
    events: list[NewEvent] = []
    decision_documents: dict[int, tuple[dict[str, object], str, str]] = {}
    for step in segment:
        screened = step.screened
        row, request = screened.row, screened.request
        findings = list(screened.findings)
        status = TransferStatus.REJECTED
        if worst(findings) is not Severity.BLOCK:
            available = balances.available(row.debtor_account_id, row.requested_value_date)
            if request.amount.minor > available:
                funds = insufficient_funds_finding(
                    amount=request.amount,
                    available=Money.from_minor(available, request.amount.currency.code),
                )
                findings.append(funds)
            else:
                try:
                    decision = pipeline.require_routed(_decided(screened))
                    route = decision.chosen
                    assert route is not None  # a decision that is not routed raised
                    file_readiness.check_file_possible(
                        request, screened.parties, back_valued=False, rail=route.rail.value
                    )
                except TreasuryError as error:
                    outcomes_[step.index] = Outcome(None, error)
                    continue
                entry = pipeline.journal_entry(
                    session,
                    tenant_id=tenant_id,
                    transfer_id=row.id,
                    parties=screened.parties,
                    amount=request.amount,
                    creditor_amount=screened.creditor_amount,
                    value_date=route.value_date,
                    description=pipeline.describe(request),
                    now=now,
                )
                balances.apply(entry)
                entries.append(entry)
                row.value_date, row.journal_entry_id = route.value_date, entry.id
                document, encoded, route_json = _documents(decision, decision_documents)
                decisions.append(
                    settlement_repository.decision_values(
                        tenant_id, row.id, document, now, encoded=encoded
                    )
                )
                row.route_json = route_json
                status = TransferStatus.BOOKED
        events.append(outcomes.settle_new(row, status, findings, actor=principal.name, now=now))
        rows.append(row)
        outcomes_[step.index] = Outcome(row, None)
    ledger_posting.post_entries(session, tenant_id=tenant_id, entries=entries, posted_at=now)
    repository.insert_transfers(session, rows)
    settlement_repository.save_decisions(session, decisions)
    audit.record_many(session, events)
    return outcomes_


def _decided(screened: outcomes.Screened) -> RouteDecision:
    assert screened.decision is not None  # decided before screening (not back-valued)
    return screened.decision


def _documents(
    decision: RouteDecision, known: dict[int, tuple[dict[str, object], str, str]]
) -> tuple[dict[str, object], str, str]:
    """The decision's stored document (and its JSON) and the transfer's `route_json`, made once
    per decision (items with one route request share it)."""
    found = known.get(id(decision))
    if found is None:
        route = decision.chosen
        assert route is not None
        document = decision.to_document()
        found = (
            document,
            settlement_repository.encoded_decision(document),
            json.dumps({**route.to_document(), "ruleset_version": decision.ruleset_version}),
        )
        known[id(decision)] = found
    return found
