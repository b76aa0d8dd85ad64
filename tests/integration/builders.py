"""Service-layer builders and ledger checks for the integration tests (no HTTP).

`TenantBuilder` builds one tenant's books through the use cases: entities, bank accounts, statement
lines, transfers, reversals. `ledger_report` reads back everything the tenant's ledger holds, so a
test can replay the postings independently of the running balances.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tests.support import TenantFixture, default_address
from treasury.accounts import service as accounts_service
from treasury.accounts import statements
from treasury.accounts.model import AccountKind, EntityKind
from treasury.accounts.tables import StatementLineRow
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger import service as ledger_service
from treasury.ledger.model import JournalEntry
from treasury.ledger.tables import AccountDayRow, JournalEntryRow, LedgerAccountRow, PostingRow
from treasury.money import Money
from treasury.payments.model import Purpose, TransferRequest
from treasury.payments.service import transfers as payments_service
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import Principal

TODAY = date(2026, 11, 26)
TIMEZONE = "Asia/Shanghai"
WAIT_SECONDS = 5.0


def principal_of(uow_factory: UnitOfWorkFactory, headers: dict[str, str]) -> Principal:
    """The principal behind a fixture's bearer header."""
    secret = headers["Authorization"].removeprefix("Bearer ")
    return tenancy_service.authenticate(uow_factory(), secret)


def transfer_request(
    debtor: str,
    creditor: str,
    amount: Money,
    *,
    value_date: date = TODAY,
    fx_rate: Decimal | None = None,
) -> TransferRequest:
    """An internal transfer between two of the tenant's accounts, purpose `other`."""
    return TransferRequest(
        debtor_account_id=debtor,
        creditor_account_id=creditor,
        amount=amount,
        value_date=value_date,
        purpose=Purpose.OTHER,
        fx_rate=fx_rate,
    )


def request_document(request: TransferRequest) -> dict[str, str | None]:
    """What the API would hash for the Idempotency-Key: the request's fields as strings."""
    return {
        "debtor_account_id": request.debtor_account_id,
        "creditor_account_id": request.creditor_account_id,
        "amount": request.amount.to_wire(),
        "currency": request.amount.currency.code,
        "value_date": request.value_date.isoformat(),
        "purpose": request.purpose.value,
        "fx_rate": None if request.fx_rate is None else str(request.fx_rate),
    }


def create_transfer(
    uow_factory: UnitOfWorkFactory,
    principal: Principal,
    request: TransferRequest,
    *,
    key: str | None = None,
    wait_seconds: float = WAIT_SECONDS,
) -> payments_service.TransferResult:
    """Run `treasury.payments.service.transfers.create_transfer` as the API does, in its own
    unit of work."""
    return payments_service.create_transfer(
        uow_factory(),
        principal=principal,
        request=request,
        idempotency_options=payments_service.IdempotencyOptions(
            key=uuid.uuid4().hex if key is None else key,
            request_document=request_document(request),
            wait_seconds=wait_seconds,
        ),
        timezone=TIMEZONE,
    )


@dataclass
class TenantBuilder:
    """One tenant's books, driven through the use cases."""

    uow_factory: UnitOfWorkFactory
    tenant_id: str
    principal: Principal

    @classmethod
    def of(cls, uow_factory: UnitOfWorkFactory, tenant: TenantFixture) -> TenantBuilder:
        """The builder of a tenant fixture's books, acting as its treasurer."""
        return cls(uow_factory, tenant.id, principal_of(uow_factory, tenant.treasurer))

    def entity(self, country: str = "CN") -> str:
        """A new enterprise of the group."""
        entity = accounts_service.create_entity(
            self.uow_factory(),
            tenant_id=self.tenant_id,
            fields={
                "code": f"E{uuid.uuid4().hex[:8]}",
                "name": "Entity",
                "country": country,
                "kind": EntityKind.ENTERPRISE,
                "address": default_address(country),
            },
        )
        return entity.id

    def account(self, entity_id: str, currency: str = "CNY", overdraft: str = "0") -> str:
        """A current account at Bank of China."""
        account = accounts_service.open_bank_account(
            self.uow_factory(),
            tenant_id=self.tenant_id,
            entity_id=entity_id,
            kind=AccountKind.CURRENT,
            currency=currency,
            bank_bic="BKCHCNBJ",
            number=uuid.uuid4().hex[:12],
            overdraft_limit=Money.of(overdraft, currency),
        )
        return account.id

    def statement_line(self, account_id: str, amount: Money, value_date: date) -> str:
        """Import one bank statement line (+ in, − out); returns its journal entry id."""
        imported = accounts_service.import_statement_lines(
            self.uow_factory(),
            tenant_id=self.tenant_id,
            account_id=account_id,
            lines=[
                statements.StatementLine(
                    bank_ref=uuid.uuid4().hex,
                    value_date=value_date,
                    amount=amount,
                    description="test line",
                )
            ],
        )
        assert imported.imported == 1
        with self.uow_factory() as uow:
            row = uow.session.get(StatementLineRow, imported.line_ids[0])
            assert row is not None
            assert row.journal_entry_id is not None
            return row.journal_entry_id

    def transfer(
        self,
        debtor: str,
        creditor: str,
        amount: Money,
        *,
        value_date: date = TODAY,
        fx_rate: Decimal | None = None,
        key: str | None = None,
    ) -> payments_service.TransferResult:
        """Create an internal transfer through the pipeline."""
        request = transfer_request(debtor, creditor, amount, value_date=value_date, fx_rate=fx_rate)
        return create_transfer(self.uow_factory, self.principal, request, key=key)

    def reverse(self, entry_id: str, value_date: date | None = None) -> JournalEntry:
        """Append the reversal of a journal entry."""
        return ledger_service.reverse_journal_entry(
            self.uow_factory(),
            principal=self.principal,
            entry_id=entry_id,
            value_date=value_date,
            reason="correction in a test",
        )

    def balance(self, account_id: str, as_of: date = TODAY) -> ledger_service.AccountBalance:
        """The account's balance and available amount by value date."""
        return ledger_service.account_balance(
            self.uow_factory(), tenant_id=self.tenant_id, account_id=account_id, as_of=as_of
        )


@dataclass(frozen=True)
class PostingFact:
    """One stored posting."""

    entry_id: str
    debit_account_id: str
    credit_account_id: str
    amount_minor: int
    currency: str
    value_date: date


@dataclass(frozen=True)
class AccountFact:
    """One stored ledger account with its running balance."""

    id: str
    currency: str
    balance_minor: int
    reserved_minor: int
    overdraft_limit_minor: int | None


@dataclass(frozen=True)
class LedgerReport:
    """Everything a tenant's ledger holds."""

    accounts: dict[str, AccountFact]
    postings: list[PostingFact]
    day_movements: dict[str, int]
    entries: int

    def replay(self, account_id: str, as_of: date | None = None) -> int:
        """Σ debits − Σ credits of an account's postings (with value date ≤ `as_of`)."""
        total = 0
        for posting in self.postings:
            if as_of is not None and posting.value_date > as_of:
                continue
            if posting.debit_account_id == account_id:
                total += posting.amount_minor
            if posting.credit_account_id == account_id:
                total -= posting.amount_minor
        return total

    def balances_by_currency(self) -> dict[str, int]:
        """Σ of the running balances per currency."""
        totals: dict[str, int] = defaultdict(int)
        for account in self.accounts.values():
            totals[account.currency] += account.balance_minor
        return dict(totals)


def ledger_report(uow_factory: UnitOfWorkFactory, tenant_id: str) -> LedgerReport:
    """Read the tenant's accounts, postings, day movements and entry count."""
    with uow_factory() as uow:
        session = uow.session
        accounts = {
            row.id: AccountFact(
                row.id,
                row.currency,
                row.balance_minor,
                row.reserved_minor,
                row.overdraft_limit_minor,
            )
            for row in session.scalars(
                select(LedgerAccountRow).where(LedgerAccountRow.tenant_id == tenant_id)
            )
        }
        postings = [
            PostingFact(
                row.entry_id,
                row.debit_account_id,
                row.credit_account_id,
                row.amount_minor,
                row.currency,
                row.value_date,
            )
            for row in session.scalars(
                select(PostingRow).where(PostingRow.tenant_id == tenant_id).order_by(PostingRow.id)
            )
        ]
        days = session.execute(
            select(AccountDayRow.account_id, func.sum(AccountDayRow.movement_minor))
            .join(LedgerAccountRow, LedgerAccountRow.id == AccountDayRow.account_id)
            .where(LedgerAccountRow.tenant_id == tenant_id)
            .group_by(AccountDayRow.account_id)
        ).all()
        entries = session.scalar(select(func.count()).where(JournalEntryRow.tenant_id == tenant_id))
        return LedgerReport(
            accounts=accounts,
            postings=postings,
            day_movements={account_id: int(total) for account_id, total in days},
            entries=int(entries or 0),
        )


def assert_ledger_consistent(report: LedgerReport) -> None:
    """Invariant 1 and the running balances: every way of adding the ledger up agrees."""
    for posting in report.postings:
        assert posting.amount_minor > 0
        assert posting.debit_account_id != posting.credit_account_id
        assert report.accounts[posting.debit_account_id].currency == posting.currency
        assert report.accounts[posting.credit_account_id].currency == posting.currency
    assert all(total == 0 for total in report.balances_by_currency().values()), (
        report.balances_by_currency()
    )
    for account_id, account in report.accounts.items():
        assert account.balance_minor == report.replay(account_id), account_id
        assert report.day_movements.get(account_id, 0) == account.balance_minor, account_id
