"""The ledger as users see it: an entity's ledger accounts, journal entries, reversals."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from treasury.accounts import service as accounts_service
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.routes.accounts import BalanceOut
from treasury.api.wire import COMMON_PROBLEMS, MoneyOut, StrictModel, problem_responses
from treasury.clock import today
from treasury.db.paging import sequence_page
from treasury.ledger import service
from treasury.ledger.model import JournalEntry

router = APIRouter(tags=["ledger"], responses=COMMON_PROBLEMS)


class LedgerAccountOut(BalanceOut):
    """A ledger account of an entity with its balance."""

    kind: str
    name: str
    counterpart_entity_id: str | None


class LedgerAccountList(ItemPage[LedgerAccountOut]):
    """A page of an entity's ledger accounts, by kind, currency and id."""


class PostingOut(BaseModel):
    """`amount` moves from the credit account to the debit account."""

    debit_account_id: str
    credit_account_id: str
    amount: MoneyOut


class JournalEntryOut(BaseModel):
    """A journal entry with its postings."""

    id: str
    value_date: date
    kind: str
    description: str
    reverses_entry_id: str | None
    source_id: str | None
    postings: list[PostingOut]
    reason: str | None = Field(default=None, description="why a reversal corrects its original")

    @classmethod
    def of(cls, entry: JournalEntry) -> JournalEntryOut:
        """Render an entry."""
        return cls(
            id=entry.id,
            value_date=entry.value_date,
            kind=entry.kind,
            description=entry.description,
            reverses_entry_id=entry.reverses_entry_id,
            source_id=entry.source_id,
            reason=entry.reason,
            postings=[
                PostingOut(
                    debit_account_id=posting.debit_account_id,
                    credit_account_id=posting.credit_account_id,
                    amount=MoneyOut.of(posting.amount),
                )
                for posting in entry.postings
            ],
        )


class JournalEntryList(ItemPage[JournalEntryOut]):
    """A page of journal entries, by value date, posting time and id."""


class ReversalIn(StrictModel):
    """Why the entry is corrected (kept on the reversal and in the audit trail) and, optionally,
    the reversal's value date (default: the original's)."""

    reason: str = Field(min_length=1, max_length=500)
    value_date: date | None = None


@router.get(
    "/v1/entities/{entity_id}/ledger-accounts",
    response_model=LedgerAccountList,
    responses=CSV_RESPONSE,
)
def entity_ledger_accounts(
    entity_id: str,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    query: ListQueryDep,
    as_of: Annotated[date | None, Query(description="value date; default today")] = None,
) -> Response:
    """The entity's bank and internal ledger accounts with balances by value date, by kind,
    currency and account id."""
    # Another tenant's (or no) entity is 404, not an empty list (invariant 8).
    accounts_service.get_entity(uow_factory(), tenant_id=tenant_of(principal), entity_id=entity_id)
    uow = uow_factory()
    balances = service.entity_ledger_accounts(
        uow,
        tenant_id=tenant_of(principal),
        entity_id=entity_id,
        as_of=as_of or today(uow.clock, settings.timezone),
    )
    page = sequence_page(
        balances, key=lambda b: (b.kind, b.currency, b.account_id), page=query.page
    )
    return respond(
        query,
        page,
        lambda balance: LedgerAccountOut(
            **BalanceOut.of(balance).model_dump(),
            kind=balance.kind,
            name=balance.name,
            counterpart_entity_id=balance.counterpart_entity_id,
        ),
        LedgerAccountList,
    )


@router.get("/v1/journal-entries", response_model=JournalEntryList, responses=CSV_RESPONSE)
def journal_entries(
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    account_id: str | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """Journal entries by account and value-date period (inclusive), by value date, posting
    time and id."""
    page = service.journal_entry_page(
        uow_factory(),
        tenant_id=tenant_of(principal),
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        page=query.page,
    )
    return respond(query, page, JournalEntryOut.of, JournalEntryList)


@router.get("/v1/journal-entries/{entry_id}")
def journal_entry(entry_id: str, principal: Reader, uow_factory: UowFactoryDep) -> JournalEntryOut:
    """One journal entry."""
    entry = service.journal_entry(uow_factory(), tenant_id=tenant_of(principal), entry_id=entry_id)
    return JournalEntryOut.of(entry)


@router.post(
    "/v1/journal-entries/{entry_id}/reversal",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def reverse_entry(
    entry_id: str, body: ReversalIn, principal: Writer, uow_factory: UowFactoryDep
) -> JournalEntryOut:
    """Correct an entry by appending its reversal, with the reason (once; a second attempt is
    409)."""
    reversal = service.reverse_journal_entry(
        uow_factory(),
        principal=principal,
        entry_id=entry_id,
        value_date=body.value_date,
        reason=body.reason,
    )
    return JournalEntryOut.of(reversal)
