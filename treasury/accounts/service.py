"""Use cases for entities, counterparties, bank accounts and their statement lines; each commits
its own unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from treasury.accounts import repository, statements
from treasury.accounts.model import (
    AccountKind,
    BankAccount,
    Counterparty,
    CrossBorderDebtMode,
    EntityKind,
    LegalEntity,
)
from treasury.accounts.tables import BankAccountRow, CounterpartyRow, EntityRow, StatementLineRow
from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, CurrencyMismatch, DebtModeLocked, NotFound, ValidationFailed
from treasury.ledger import repository as ledger_repository
from treasury.money import Money

ENTITY_DEFAULTS: dict[str, Any] = {
    "kind": EntityKind.ENTERPRISE,
    "trade_fx_class": "A",
    "lending_in_business_scope": False,
    "quality_enterprise": False,
    "cross_border_debt_mode": CrossBorderDebtMode.MACRO_PRUDENTIAL,
    "shareholding_ratio": Decimal(1),
    "capital_payment_facilitation": False,
    "independent_legal_person": True,
}


def create_entity(
    uow: UnitOfWork, *, tenant_id: str, fields: dict[str, Any], actor: str = "system"
) -> LegalEntity:
    """Register a legal entity of the group.

    Raises:
        Conflict: another entity has the same code.
        NotFound: the parent entity is not the tenant's.
    """
    with uow:
        _check_parent(uow, tenant_id, fields.get("parent_entity_id"))
        if repository.find_entity_by_code(uow.session, tenant_id, fields["code"]) is not None:
            raise Conflict(f"an entity with code {fields['code']!r} exists")
        now = uow.clock.now()
        row = EntityRow(id=new_id(), tenant_id=tenant_id, created_at=now, updated_at=now)
        repository.apply_entity_fields(row, {**ENTITY_DEFAULTS, **fields})
        _check_investment_currencies(row)
        uow.session.add(row)
        _flush_or_conflict(uow, f"an entity with code {fields['code']!r} exists")
        entity = repository.to_entity(row)
        _record(uow, tenant_id, actor, "entity.created", "entity", row.id, None, fields)
        uow.commit()
        return entity


def _check_investment_currencies(row: EntityRow) -> None:
    """投注差 subtracts registered capital from total investment: one currency for both."""
    if (
        row.registered_capital_currency is not None
        and row.total_investment_currency is not None
        and row.registered_capital_currency != row.total_investment_currency
    ):
        raise CurrencyMismatch(
            f"registered_capital is in {row.registered_capital_currency}, total_investment in "
            f"{row.total_investment_currency}: the 投注差 needs one currency"
        )


def _record(
    uow: UnitOfWork,
    tenant_id: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.record(
        uow,
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )


def _check_parent(uow: UnitOfWork, tenant_id: str, parent_id: str | None) -> None:
    if (
        parent_id is not None
        and repository.get_entity_row(uow.session, tenant_id, parent_id) is None
    ):
        raise NotFound(f"parent entity {parent_id} not found")


def _flush_or_conflict(uow: UnitOfWork, message: str) -> None:
    try:
        uow.session.flush()
    except IntegrityError as error:
        raise Conflict(message) from error


def get_entity(uow: UnitOfWork, *, tenant_id: str, entity_id: str) -> LegalEntity:
    """One entity of the tenant."""
    with uow:
        row = repository.get_entity_row(uow.session, tenant_id, entity_id)
        if row is None:
            raise NotFound(f"entity {entity_id} not found")
        return repository.to_entity(row)


def list_entities(uow: UnitOfWork, *, tenant_id: str) -> list[LegalEntity]:
    """The tenant's entities."""
    with uow:
        return repository.list_entities(uow.session, tenant_id)


def update_entity(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    entity_id: str,
    fields: dict[str, Any],
    actor: str = "system",
) -> LegalEntity:
    """Change an entity's master data.

    Raises:
        NotFound: no such entity (or parent).
        DebtModeLocked: leaving `investment_gap` (the switch to macro-prudential is one-way).
        Conflict: the new code is taken.
    """
    with uow:
        row = repository.get_entity_row(uow.session, tenant_id, entity_id, for_update=True)
        if row is None:
            raise NotFound(f"entity {entity_id} not found")
        _check_parent(uow, tenant_id, fields.get("parent_entity_id"))
        if fields.get("parent_entity_id") == entity_id:
            raise Conflict("an entity cannot be its own parent")
        new_mode = fields.get("cross_border_debt_mode")
        if (
            new_mode is not None
            and row.cross_border_debt_mode == CrossBorderDebtMode.INVESTMENT_GAP
            and new_mode != CrossBorderDebtMode.INVESTMENT_GAP
        ):
            raise DebtModeLocked(
                f"entity {entity_id} uses investment_gap; a switch to {new_mode} is refused"
            )
        before = repository.to_entity(row)
        repository.apply_entity_fields(row, fields)
        _check_investment_currencies(row)
        row.updated_at = uow.clock.now()
        _flush_or_conflict(uow, "entity code taken")
        entity = repository.to_entity(row)
        changed = {name: getattr(before, name) for name in fields}
        _record(uow, tenant_id, actor, "entity.updated", "entity", row.id, changed, fields)
        uow.commit()
        return entity


def create_counterparty(
    uow: UnitOfWork, *, tenant_id: str, fields: dict[str, Any], actor: str = "system"
) -> Counterparty:
    """Register an external party as master data (unaffiliated unless said otherwise)."""
    with uow:
        now = uow.clock.now()
        row = CounterpartyRow(id=new_id(), tenant_id=tenant_id, created_at=now, updated_at=now)
        repository.apply_counterparty_fields(row, {"affiliated": False, **fields})
        uow.session.add(row)
        uow.session.flush()
        counterparty = repository.to_counterparty(row)
        _record(uow, tenant_id, actor, "counterparty.created", "counterparty", row.id, None, fields)
        uow.commit()
        return counterparty


def get_counterparty(uow: UnitOfWork, *, tenant_id: str, counterparty_id: str) -> Counterparty:
    """One counterparty of the tenant."""
    with uow:
        row = repository.get_counterparty_row(uow.session, tenant_id, counterparty_id)
        if row is None:
            raise NotFound(f"counterparty {counterparty_id} not found")
        return repository.to_counterparty(row)


def list_counterparties(uow: UnitOfWork, *, tenant_id: str) -> list[Counterparty]:
    """The tenant's counterparties."""
    with uow:
        return repository.list_counterparties(uow.session, tenant_id)


def update_counterparty(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    counterparty_id: str,
    fields: dict[str, Any],
    actor: str = "system",
) -> Counterparty:
    """Change a counterparty's master data (affiliation included, for those allowed to)."""
    with uow:
        row = repository.get_counterparty_row(uow.session, tenant_id, counterparty_id)
        if row is None:
            raise NotFound(f"counterparty {counterparty_id} not found")
        before = repository.to_counterparty(row)
        repository.apply_counterparty_fields(row, fields)
        row.updated_at = uow.clock.now()
        uow.session.flush()
        counterparty = repository.to_counterparty(row)
        changed = {name: getattr(before, name) for name in fields}
        _record(
            uow, tenant_id, actor, "counterparty.updated", "counterparty", row.id, changed, fields
        )
        uow.commit()
        return counterparty


def open_bank_account(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    entity_id: str,
    kind: AccountKind,
    currency: str,
    bank_bic: str | None,
    number: str,
    overdraft_limit: Money | None,
    actor: str = "system",
    branch_subdivision: str | None = None,
) -> BankAccount:
    """Record a bank account of an entity, with its ledger account (and the province of the
    branch holding it, where known).

    Raises:
        NotFound: the entity is not the tenant's.
        CurrencyMismatch: an overdraft limit in another currency.
        ValidationFailed: a negative overdraft limit (it would make money unspendable).
        Conflict: the same number, bank and currency are recorded already.
    """
    limit = overdraft_limit or Money.zero(currency)
    if limit.currency.code != currency:
        raise CurrencyMismatch(f"overdraft limit in {limit.currency}, account in {currency}")
    if limit.amount < 0:
        raise ValidationFailed(f"overdraft limit {limit} is negative")
    with uow:
        entity = repository.get_entity_row(uow.session, tenant_id, entity_id)
        if entity is None:
            raise NotFound(f"entity {entity_id} not found")
        now, account_id = uow.clock.now(), new_id()
        ledger_repository.add_bank_ledger_account(
            uow.session,
            account_id=account_id,
            tenant_id=tenant_id,
            entity_id=entity_id,
            currency=currency,
            name=f"{entity.code} {bank_bic or ''} {number}".replace("  ", " "),
            overdraft_limit_minor=limit.minor,
            created_at=now,
        )
        uow.session.add(
            BankAccountRow(
                id=account_id,
                tenant_id=tenant_id,
                entity_id=entity_id,
                currency=currency,
                kind=kind.value,
                bank_bic=bank_bic,
                number=number,
                branch_subdivision=branch_subdivision,
                created_at=now,
            )
        )
        _flush_or_conflict(uow, f"account {number} at {bank_bic} in {currency} exists")
        account = repository.get_bank_account(uow.session, tenant_id, account_id)
        assert account is not None
        after = {"entity_id": entity_id, "currency": currency, "kind": kind.value, "number": number}
        _record(uow, tenant_id, actor, "account.opened", "account", account_id, None, after)
        uow.commit()
        return account


def get_bank_account(uow: UnitOfWork, *, tenant_id: str, account_id: str) -> BankAccount:
    """One bank account of the tenant."""
    with uow:
        account = repository.get_bank_account(uow.session, tenant_id, account_id)
        if account is None:
            raise NotFound(f"account {account_id} not found")
        return account


def list_bank_accounts(
    uow: UnitOfWork, *, tenant_id: str, entity_id: str | None
) -> list[BankAccount]:
    """The tenant's bank accounts."""
    with uow:
        return repository.list_bank_accounts(uow.session, tenant_id, entity_id)


@dataclass(frozen=True)
class StatementImport:
    """What an import did: lines booked now, lines seen before and skipped."""

    imported: int
    skipped: int
    line_ids: tuple[str, ...]
    skipped_bank_refs: tuple[str, ...]


def import_statement_lines(
    uow: UnitOfWork, *, tenant_id: str, account_id: str, lines: list[statements.StatementLine]
) -> StatementImport:
    """Book new lines against the entity's suspense account; skip and count those seen before.

    Raises:
        NotFound: the account is not the tenant's.
        CurrencyMismatch: a line in another currency than the account's.
        ValidationFailed: a zero amount or a bank_ref twice in one request.
    """
    _check_lines(lines)
    with uow:
        account = repository.get_bank_account(uow.session, tenant_id, account_id)
        if account is None:
            raise NotFound(f"account {account_id} not found")
        for line in lines:
            if line.amount.currency.code != account.currency:
                raise CurrencyMismatch(
                    f"line {line.bank_ref} in {line.amount.currency}, account in {account.currency}"
                )
        seen = repository.seen_bank_refs(uow.session, account_id, [line.bank_ref for line in lines])
        fresh = [line for line in lines if line.bank_ref not in seen]
        line_ids = tuple(
            statements.record_lines(
                uow,
                tenant_id=tenant_id,
                account=account,
                lines=[statements.NewLine(line, to_suspense=True) for line in fresh],
            )
        )
        uow.commit()
        skipped = tuple(line.bank_ref for line in lines if line.bank_ref in seen)
        return StatementImport(len(fresh), len(skipped), line_ids, skipped)


def _check_lines(lines: list[statements.StatementLine]) -> None:
    refs = [line.bank_ref for line in lines]
    if len(set(refs)) != len(refs):
        raise ValidationFailed("a bank_ref appears twice in one request")
    for line in lines:
        if line.amount.minor == 0:
            raise ValidationFailed(f"line {line.bank_ref} has a zero amount")


def statement_lines(uow: UnitOfWork, *, tenant_id: str, account_id: str) -> list[StatementLineRow]:
    """An account's statement lines.

    Raises:
        NotFound: the account is not the tenant's.
    """
    with uow:
        if repository.get_bank_account(uow.session, tenant_id, account_id) is None:
            raise NotFound(f"account {account_id} not found")
        rows = repository.list_statement_lines(uow.session, tenant_id, account_id)
        uow.session.expunge_all()
        return rows
