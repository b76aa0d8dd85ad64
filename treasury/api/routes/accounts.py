"""Bank accounts, balances by value date, statement lines."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from treasury.accounts import service, statements
from treasury.accounts.model import AccountKind, BankAccount, market_of
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    CurrencyCode,
    MoneyOut,
    NonNegativeMoneyIn,
    StrictModel,
    problem_responses,
)
from treasury.clock import today
from treasury.db.paging import sequence_page
from treasury.identifiers import checked_bic
from treasury.ledger import service as ledger_service
from treasury.ledger.service import AccountBalance
from treasury.money import Money, check_storable

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], responses=COMMON_PROBLEMS)


class AccountCreate(StrictModel):
    """A bank account of one of the group's entities."""

    entity_id: str
    currency: CurrencyCode
    kind: AccountKind = AccountKind.CURRENT
    bank_bic: str | None = None
    number: str = Field(min_length=1, max_length=64)
    overdraft_limit: NonNegativeMoneyIn | None = None
    branch_subdivision: str | None = Field(
        default=None,
        min_length=1,
        max_length=35,
        description="the province of the branch holding the account, as the entity address's "
        "subdivision names it: a 251 pool's partner bank (its master account's branch) must be "
        "in the host's province",
    )


class AccountOut(BaseModel):
    """A bank account as shown."""

    id: str
    entity_id: str
    currency: str
    kind: str
    bank_bic: str | None
    number: str
    overdraft_limit: MoneyOut
    resident: bool
    market: str = Field(description="CNH for RMB held outside the mainland, else the currency")
    branch_subdivision: str | None = None

    @classmethod
    def of(cls, account: BankAccount) -> AccountOut:
        """Render a bank account."""
        return cls(
            id=account.id,
            entity_id=account.entity_id,
            currency=account.currency,
            kind=account.kind.value,
            bank_bic=account.bank_bic,
            number=account.number,
            overdraft_limit=MoneyOut.of(account.overdraft_limit),
            resident=account.resident,
            market=market_of(account),
            branch_subdivision=account.branch_subdivision,
        )


class AccountList(ItemPage[AccountOut]):
    """A page of bank accounts, by entity, currency, number and id."""


class BalanceOut(BaseModel):
    """`{"account_id", "currency", "as_of", "balance", "available"}`, amounts as decimal strings."""

    account_id: str
    currency: str
    as_of: date
    balance: str
    available: str
    overdraft_limit: str | None

    @classmethod
    def of(cls, balance: AccountBalance) -> BalanceOut:
        """Render a balance."""
        limit = balance.overdraft_limit
        return cls(
            account_id=balance.account_id,
            currency=balance.currency,
            as_of=balance.as_of,
            balance=balance.balance.to_wire(),
            available=balance.available.to_wire(),
            overdraft_limit=None if limit is None else limit.to_wire(),
        )


class StatementLineIn(StrictModel):
    """One line as the bank reports it; `amount` is signed: + in, − out."""

    bank_ref: str = Field(min_length=1, max_length=64)
    value_date: date
    amount: str = Field(pattern=r"^[+-]?[0-9]+(\.[0-9]+)?$", examples=["-1250.00"])
    description: str = Field(default="", max_length=500)
    counterparty: str | None = Field(default=None, max_length=300)


class StatementLinesIn(StrictModel):
    """`{"lines": [...]}`, at most 10,000 at a time."""

    lines: list[StatementLineIn] = Field(min_length=1, max_length=10_000)


class StatementImportOut(BaseModel):
    """How many lines were booked and how many skipped as seen before."""

    imported: int
    skipped: int
    line_ids: list[str]
    skipped_bank_refs: list[str]


class StatementLineOut(BaseModel):
    """A stored statement line."""

    id: str
    bank_ref: str
    value_date: date
    amount: MoneyOut
    description: str
    counterparty: str | None
    journal_entry_id: str | None


class StatementLineList(ItemPage[StatementLineOut]):
    """A page of statement lines, by value date, bank reference and id."""


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
def open_account(body: AccountCreate, principal: Writer, uow_factory: UowFactoryDep) -> AccountOut:
    """Record a bank account (and its ledger account)."""
    account = service.open_bank_account(
        uow_factory(),
        tenant_id=tenant_of(principal),
        entity_id=body.entity_id,
        kind=body.kind,
        currency=body.currency,
        bank_bic=None if body.bank_bic is None else checked_bic(body.bank_bic),
        number=body.number,
        overdraft_limit=None if body.overdraft_limit is None else body.overdraft_limit.to_money(),
        actor=principal.name,
        branch_subdivision=body.branch_subdivision,
    )
    return AccountOut.of(account)


@router.get("", response_model=AccountList, responses=CSV_RESPONSE)
def list_accounts(
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    entity_id: str | None = None,
    currency: CurrencyCode | None = None,
    kind: AccountKind | None = None,
) -> Response:
    """The group's bank accounts, optionally of one entity, currency or kind."""
    accounts = [
        account
        for account in service.list_bank_accounts(
            uow_factory(), tenant_id=tenant_of(principal), entity_id=entity_id
        )
        if (currency is None or account.currency == currency)
        and (kind is None or account.kind == kind)
    ]
    page = sequence_page(
        accounts, key=lambda a: (a.entity_id, a.currency, a.number, a.id), page=query.page
    )
    return respond(query, page, AccountOut.of, AccountList)


@router.get("/{account_id}")
def get_account(account_id: str, principal: Reader, uow_factory: UowFactoryDep) -> AccountOut:
    """One bank account."""
    account = service.get_bank_account(
        uow_factory(), tenant_id=tenant_of(principal), account_id=account_id
    )
    return AccountOut.of(account)


@router.get("/{account_id}/balance")
def get_balance(
    account_id: str,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    as_of: Annotated[date | None, Query(description="value date; default today")] = None,
) -> BalanceOut:
    """Booked balance by value date; available = balance − reservations of held transfers."""
    uow = uow_factory()
    balance = ledger_service.account_balance(
        uow,
        tenant_id=tenant_of(principal),
        account_id=account_id,
        as_of=as_of or today(uow.clock, settings.timezone),
    )
    return BalanceOut.of(balance)


@router.post(
    "/{account_id}/statement-lines",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def import_statement_lines(
    account_id: str, body: StatementLinesIn, principal: Writer, uow_factory: UowFactoryDep
) -> StatementImportOut:
    """Book new statement lines against suspense; a `bank_ref` seen before is skipped, counted."""
    account = service.get_bank_account(
        uow_factory(), tenant_id=tenant_of(principal), account_id=account_id
    )
    lines = [
        statements.StatementLine(
            bank_ref=line.bank_ref,
            value_date=line.value_date,
            amount=check_storable(Money.of(line.amount.lstrip("+"), account.currency)),
            description=line.description,
            counterparty=line.counterparty,
        )
        for line in body.lines
    ]
    result = service.import_statement_lines(
        uow_factory(), tenant_id=tenant_of(principal), account_id=account_id, lines=lines
    )
    return StatementImportOut(
        imported=result.imported,
        skipped=result.skipped,
        line_ids=list(result.line_ids),
        skipped_bank_refs=list(result.skipped_bank_refs),
    )


@router.get(
    "/{account_id}/statement-lines", response_model=StatementLineList, responses=CSV_RESPONSE
)
def list_statement_lines(
    account_id: str, principal: Reader, uow_factory: UowFactoryDep, query: ListQueryDep
) -> Response:
    """The account's statement lines by value date."""
    rows = service.statement_lines(
        uow_factory(), tenant_id=tenant_of(principal), account_id=account_id
    )
    page = sequence_page(rows, key=lambda r: (r.value_date, r.bank_ref, r.id), page=query.page)
    return respond(
        query,
        page,
        lambda row: StatementLineOut(
            id=row.id,
            bank_ref=row.bank_ref,
            value_date=row.value_date,
            amount=MoneyOut.of(Money.from_minor(row.amount_minor, row.currency)),
            description=row.description,
            counterparty=row.counterparty,
            journal_entry_id=row.journal_entry_id,
        ),
        StatementLineList,
    )
