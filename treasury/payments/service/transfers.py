"""Transfer use cases: create one through the pipeline (idempotently), read them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.orm import Session

from treasury.accounts import repository as accounts_repository
from treasury.clock import today
from treasury.db.base import new_id
from treasury.db.paging import Page, PageRequest
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import (
    BackValuationLimitExceeded,
    NotFound,
    ParameterMissing,
    ValueDateTooFar,
)
from treasury.idempotency.requests import IdempotentRequest, claim_or_replay
from treasury.payments import outcomes, repository
from treasury.payments.model import Transfer, TransferRequest, TransferStatus
from treasury.payments.repository import TransferFilter
from treasury.payments.tables import TransferRow
from treasury.refdata import cache as refdata_cache
from treasury.tenancy import repository as tenancy_repository
from treasury.tenancy.model import Principal

IDEMPOTENCY_SCOPE = "transfers"
CREATED = 201


@dataclass(frozen=True)
class TransferResult:
    """A transfer and whether this response replays an earlier request with the same key."""

    transfer: Transfer
    replayed: bool


IdempotencyOptions = IdempotentRequest  # the name the callers of payments' use cases know


def create_transfer(
    uow: UnitOfWork,
    *,
    principal: Principal,
    request: TransferRequest,
    idempotency_options: IdempotencyOptions,
    timezone: str,
) -> TransferResult:
    """Record a transfer and take it through route → screen → (hold) → book.

    A block finding or insufficient funds creates it `rejected`; a review finding `held`, its amount
    reserved; otherwise it is booked on the route's value date. A value date before today records
    a payment the bank already made: booked as a record, not routed.

    Raises:
        IdempotencyKeyReused, IdempotencyKeyInFlight: see `treasury.idempotency`.
        NotFound: an account or counterparty that is not the tenant's.
        CurrencyMismatch, FxRateRequired, BopCodeRequired, ValidationFailed: see `pipeline.check`.
    """
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    transfer_id = new_id()
    with uow:
        prior = claim_or_replay(
            uow,
            idempotency_options,
            tenant_id=tenant_id,
            scope=IDEMPOTENCY_SCOPE,
            result_id=transfer_id,
            response_status=CREATED,
        )
        if prior is not None:
            row = repository.get_transfer_row(uow.session, tenant_id, prior)
            assert row is not None
            return TransferResult(repository.to_transfer(row), replayed=True)
        row = _run_pipeline(uow, principal, transfer_id, request, today(uow.clock, timezone))
        transfer = repository.to_transfer(row)
        uow.commit()
        return TransferResult(transfer, replayed=False)


def run_steps(
    uow: UnitOfWork, principal: Principal, request: TransferRequest, today_: date
) -> TransferRow:
    """The pipeline's steps for a transfer the service makes itself (a hedge's delivery) inside
    the caller's unit of work, which commits: screen, then book, hold or reject (a back-valued
    one is recorded). Returns the transfer row with its status."""
    return _run_pipeline(uow, principal, new_id(), request, today_)


def _run_pipeline(
    uow: UnitOfWork, principal: Principal, transfer_id: str, request: TransferRequest, today_: date
) -> TransferRow:
    row = new_row(uow, principal, transfer_id, request, today_)
    outcomes.run(uow, row, request, actor=principal, today=today_)
    return row


def new_row(
    uow: UnitOfWork, principal: Principal, transfer_id: str, request: TransferRequest, today_: date
) -> TransferRow:
    """The transfer's row (status `new`, not yet added) once its value date is one it may have.

    Raises:
        BackValuationLimitExceeded, ValueDateTooFar, ParameterMissing: see the value date checks.
    """
    assert principal.tenant_id is not None
    row = repository.new_transfer_row(
        transfer_id=transfer_id,
        tenant_id=principal.tenant_id,
        actor=principal,
        request=request,
        today=today_,
        now=uow.clock.now(),
    )
    if row.back_valued:
        _check_back_valuation_limit(uow.session, principal.tenant_id, request.value_date, today_)
    else:
        _check_forward_value_date(uow.session, request.value_date, today_)
    return row


def _check_back_valuation_limit(
    session: Session, tenant_id: str, value_date: date, today_: date
) -> None:
    limit = tenancy_repository.load_settings_document(session, tenant_id).get(
        "back_valuation_limit_days"
    )
    if limit is not None and (today_ - value_date).days > limit:
        raise BackValuationLimitExceeded(
            f"value date {value_date} is more than {limit} days before today ({today_})"
        )


MAX_FORWARD_VALUE_DAYS = "transfer.max_forward_value_days"


def _check_forward_value_date(session: Session, value_date: date, today_: date) -> None:
    parameter = (
        refdata_cache.snapshot(session).parameters_in_force(today_).get(MAX_FORWARD_VALUE_DAYS)
    )
    if parameter is None:
        raise ParameterMissing(f"{MAX_FORWARD_VALUE_DAYS} is not in force on {today_}")
    furthest = today_ + timedelta(days=int(parameter.decimal()))
    if value_date > furthest:
        raise ValueDateTooFar(
            f"value date {value_date} is after {furthest}: {MAX_FORWARD_VALUE_DAYS} is "
            f"{parameter.value} days from today ({today_})",
            furthest=furthest.isoformat(),
        )


def get_transfer(uow: UnitOfWork, *, tenant_id: str, transfer_id: str) -> Transfer:
    """One of the tenant's transfers."""
    with uow:
        row = repository.get_transfer_row(uow.session, tenant_id, transfer_id)
        if row is None:
            raise NotFound(f"transfer {transfer_id} not found")
        return repository.to_transfer(row)


def list_transfers(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    status: TransferStatus | None,
    account_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Transfer]:
    """The tenant's transfers, newest first."""
    with uow:
        return repository.list_transfers(
            uow.session,
            tenant_id=tenant_id,
            status=status,
            account_id=account_id,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
            offset=offset,
        )


def transfer_page(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    where: TransferFilter,
    page: PageRequest,
    entity_id: str | None = None,
) -> Page[Transfer]:
    """A page of the tenant's transfers, newest first; `entity_id` narrows to transfers from or
    to that entity's bank accounts (another tenant's entity, or none: 404)."""
    with uow:
        if entity_id is not None:
            if accounts_repository.get_entity_row(uow.session, tenant_id, entity_id) is None:
                raise NotFound(f"entity {entity_id} not found")
            accounts = accounts_repository.list_bank_accounts(uow.session, tenant_id, entity_id)
            where = replace(where, account_ids=[account.id for account in accounts])
        return repository.transfer_page(uow.session, tenant_id=tenant_id, where=where, page=page)
