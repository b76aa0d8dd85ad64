"""Payment runs: an ERP's day of supplier payments, each through the single transfer's pipeline.

A run arrives as JSON transfer bodies or as the ERP's own pain.001. Every item is screened,
routed and booked (or held, or rejected) by the very steps `POST /v1/transfers` takes — one path
by which money leaves an account — read and written in bulk for the run's items together
(`run_pipeline`), in the run's one unit of work: an item that raises (an unknown account, a
currency that does not match) writes nothing and carries its error while the others go on. The run
is claimed under its Idempotency-Key in the same unit of work: a replay returns the run and books
nothing.
Booked items follow the single transfer's way to the bank: the day's outgoing pain.001 batches
are built from them by the payment-file generation (`payment_files`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compliance.model import Finding
from treasury.accounts import repository as accounts_repository
from treasury.clock import today
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import NotFound, TreasuryError, ValidationFailed
from treasury.idempotency.requests import claim_or_replay
from treasury.payments import run_pipeline, runs_repository
from treasury.payments.model import BOP_CODE_PATTERN, Purpose, TransferRequest
from treasury.payments.service import transfers as service
from treasury.payments.tables import PaymentRunRow, TransferRow
from treasury.settlement.pain001_in import InitiatedPayment
from treasury.tenancy.model import Principal

IDEMPOTENCY_SCOPE = "payment_runs"
CREATED = 201
MAX_ITEMS = 10_000
INVALID = "invalid"  # an item that never became a transfer (it carries its error)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ItemError:
    """Why an item did not become a transfer: the problem code and detail a single transfer
    with the same body would have been answered with."""

    code: str
    detail: str
    errors: tuple[Any, ...] = ()

    @classmethod
    def of(cls, error: TreasuryError) -> ItemError:
        """The error an item raised."""
        return cls(error.code, error.detail, tuple(error.extra.get("errors", ())))

    def to_document(self) -> dict[str, Any]:
        """As stored and shown."""
        document: dict[str, Any] = {"code": self.code, "detail": self.detail}
        return {**document, "errors": list(self.errors)} if self.errors else document


@dataclass(frozen=True)
class ItemIn:
    """One item as handed over: a valid instruction, or the error its body already has."""

    request: TransferRequest | None
    error: ItemError | None = None
    reference: str | None = None  # the ERP's end-to-end id, when it gave one


@dataclass(frozen=True)
class Submission:
    """What the ERP handed over."""

    name: str | None
    source: str  # "json" or the pain.001 version
    message_id: str | None
    items: Sequence[ItemIn]


@dataclass(frozen=True)
class RunItem:
    """One item's outcome (status and findings are its transfer's, as they stand now)."""

    index: int
    transfer_id: str | None
    status: str
    findings: tuple[Finding, ...]
    error: ItemError | None
    reference: str | None


@dataclass(frozen=True)
class PaymentRun:
    """A run with each item's outcome and the count per status."""

    id: str
    name: str | None
    source: str
    message_id: str | None
    created_by: str
    created_at: Any
    items: tuple[RunItem, ...]

    @property
    def counts(self) -> dict[str, int]:
        """`total` and the number of items per status."""
        return {"total": len(self.items), **Counter(item.status for item in self.items)}


@dataclass(frozen=True)
class RunResult:
    """A run and whether this answer replays an earlier request with the same key."""

    run: PaymentRun
    replayed: bool


def create_run(
    uow: UnitOfWork,
    *,
    principal: Principal,
    submission: Submission,
    idempotency_options: service.IdempotencyOptions,
    timezone: str,
    progress: Progress | None = None,
) -> RunResult:
    """Take every item through the pipeline on its own and record the run.

    Raises:
        IdempotencyKeyReused, IdempotencyKeyInFlight: see `treasury.idempotency`.
        ValidationFailed: no items, or more than MAX_ITEMS.
    """
    assert principal.tenant_id is not None
    _check_size(submission.items)
    run_id = new_id()
    with uow:
        prior = claim_or_replay(
            uow,
            idempotency_options,
            tenant_id=principal.tenant_id,
            scope=IDEMPOTENCY_SCOPE,
            result_id=run_id,
            response_status=CREATED,
        )
        if prior is not None:
            return RunResult(_load(uow, principal.tenant_id, prior), replayed=True)
        run = _new_run(uow, principal, run_id, submission)
        total = len(submission.items)
        results = run_pipeline.run_items(
            uow,
            principal,
            [item.request for item in submission.items],
            today(uow.clock, timezone),
            progress=None if progress is None else lambda done: progress(done, total),
        )
        items = [
            _item(index, *_outcome(item, result), item.reference)
            for index, (item, result) in enumerate(zip(submission.items, results, strict=True))
        ]
        runs_repository.add_items(uow.session, [_item_values(run.id, item) for item in items])
        uow.commit()
        return RunResult(_value(run, items), replayed=False)


def _check_size(items: Sequence[ItemIn]) -> None:
    if not items:
        raise ValidationFailed("a payment run needs at least one item")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(
            f"a payment run takes at most {MAX_ITEMS:,} items, not {len(items):,}: split it"
        )


def _new_run(
    uow: UnitOfWork, principal: Principal, run_id: str, submission: Submission
) -> PaymentRunRow:
    assert principal.tenant_id is not None
    row = PaymentRunRow(
        id=run_id,
        tenant_id=principal.tenant_id,
        name=submission.name,
        source=submission.source,
        message_id=submission.message_id,
        item_count=len(submission.items),
        created_by_token_id=principal.token_id,
        created_by=principal.name,
        created_at=uow.clock.now(),
    )
    runs_repository.add_run(uow.session, row)
    return row


def _outcome(
    item: ItemIn, result: run_pipeline.Outcome | None
) -> tuple[TransferRow | None, ItemError | None]:
    """The item's transfer, or the error it carries (its body's, or the one it raised)."""
    if result is None:
        return None, item.error
    return result.transfer, None if result.error is None else ItemError.of(result.error)


def _item_values(run_id: str, item: RunItem) -> dict[str, object]:
    return {
        "run_id": run_id,
        "position": item.index,
        "transfer_id": item.transfer_id,
        "reference": item.reference,
        "error_json": None if item.error is None else json.dumps(item.error.to_document()),
    }


def _item(
    index: int, transfer: TransferRow | None, error: ItemError | None, reference: str | None
) -> RunItem:
    if transfer is None:
        assert error is not None
        return RunItem(index, None, INVALID, (), error, reference)
    findings = tuple(Finding.from_document(item) for item in json.loads(transfer.findings_json))
    return RunItem(index, transfer.id, transfer.status, findings, None, reference)


def get_run(uow: UnitOfWork, *, tenant_id: str, run_id: str) -> PaymentRun:
    """One of the tenant's payment runs, each item as its transfer stands now."""
    with uow:
        return _load(uow, tenant_id, run_id)


def _load(uow: UnitOfWork, tenant_id: str, run_id: str) -> PaymentRun:
    run = runs_repository.get_run(uow.session, tenant_id, run_id)
    if run is None:
        raise NotFound(f"payment run {run_id} not found")
    items = []
    for row, transfer in runs_repository.items_with_transfers(uow.session, run_id):
        error = None if row.error_json is None else _error(json.loads(row.error_json))
        items.append(_item(row.position, transfer, error, row.reference))
    return _value(run, items)


def _error(document: Mapping[str, Any]) -> ItemError:
    return ItemError(document["code"], document["detail"], tuple(document.get("errors", ())))


def _value(run: PaymentRunRow, items: Sequence[RunItem]) -> PaymentRun:
    return PaymentRun(
        id=run.id,
        name=run.name,
        source=run.source,
        message_id=run.message_id,
        created_by=run.created_by,
        created_at=run.created_at,
        items=tuple(items),
    )


def accounts_by_number(
    uow: UnitOfWork, *, tenant_id: str, numbers: Sequence[str]
) -> dict[str, str]:
    """The tenant's bank account ids by account number (a pain.001 names accounts by number)."""
    with uow:
        found = accounts_repository.bank_accounts_by_number(uow.session, tenant_id, numbers)
        return {number: account.id for number, account in found.items()}


# ISO 20022 ExternalPurpose1Code → the purpose our rules read; any other code (or none) is
# `other`, which the rules treat with the most care. `Purp/Prtry` may name one of ours directly.
_PURPOSES = {
    "GDDS": Purpose.GOODS_TRADE,
    "SUPP": Purpose.GOODS_TRADE,
    "TRAD": Purpose.GOODS_TRADE,
    "SCVE": Purpose.SERVICES_TRADE,
    "SALA": Purpose.INCOME,
    "DIVD": Purpose.INCOME,
    "INTE": Purpose.INCOME,
    "LOAN": Purpose.LOAN,
    "LOAR": Purpose.LOAN_REPAYMENT,
    "INTC": Purpose.INTERCOMPANY_LOAN,
    "TAXS": Purpose.CURRENT_TRANSFER,
}


def transfer_body(
    payment: InitiatedPayment, accounts: Mapping[str, str]
) -> dict[str, Any] | ItemError:
    """The transfer body (as `POST /v1/transfers` takes it) a pain.001 payment stands for, to be
    validated like any other item; or the error of a debtor account that is not the tenant's.

    `accounts` maps the tenant's account numbers to bank account ids: a creditor account among
    them makes an intra-group transfer, any other creditor is named inline.
    """
    debtor = accounts.get(payment.debtor_account or "")
    if debtor is None:
        return ItemError(
            NotFound.code, f"debtor account {payment.debtor_account} is not one of the tenant's"
        )
    body: dict[str, Any] = {
        "debtor_account_id": debtor,
        "amount": {"amount": payment.amount, "currency": payment.currency},
        "value_date": payment.execution_date,
        "purpose": _purpose(payment.purpose_code).value,
    }
    if payment.regulatory_code is not None and BOP_CODE_PATTERN.match(payment.regulatory_code):
        body["bop_code"] = payment.regulatory_code
    if payment.remittance is not None:
        body["remark"] = payment.remittance
    creditor_account = accounts.get(payment.creditor_account or "")
    if creditor_account is not None:
        return {**body, "creditor_account_id": creditor_account}
    return {**body, "creditor": _creditor(payment)}


def _purpose(code: str | None) -> Purpose:
    if code is None:
        return Purpose.OTHER
    if code in _PURPOSES:
        return _PURPOSES[code]
    return Purpose(code) if code in Purpose.__members__.values() else Purpose.OTHER


def _creditor(payment: InitiatedPayment) -> dict[str, Any]:
    """The inline creditor: its country from its address, else its bank's BIC, else its IBAN."""
    address = payment.creditor_address
    country = address.get("country") or _country(payment.creditor_agent_bic, 4)
    country = country or _country(payment.creditor_account, 0)
    creditor: dict[str, Any] = {"name": payment.creditor_name, "country": country}
    if payment.creditor_agent_bic is not None:
        creditor["bank_bic"] = payment.creditor_agent_bic
    if payment.creditor_account is not None:
        creditor["account"] = payment.creditor_account
    if address.get("town") and address.get("country"):
        creditor["address"] = dict(address)
    return {name: value for name, value in creditor.items() if value is not None}


def _country(code: str | None, start: int) -> str | None:
    part = (code or "")[start : start + 2]
    return part if len(part) == 2 and part.isalpha() and part.isupper() else None
