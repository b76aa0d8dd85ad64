"""Bank accounts and their entities in process: what every transfer reads of both sides.

Reading a transfer's two accounts with their entities, and building the entities' values (thirty
fields, two JSON documents), took a tenth of a transfer's CPU in the `ledger_service` profile. A
bank account does not change once opened (nothing in the service updates one); an entity does,
and every change moves its `version` on (the mapper's version counter on `EntityRow`). So the
transfer makes one lean read in its own transaction — each account's entity and that entity's
version — and takes from here what still matches; anything missing or older is read in full and
kept. The check is exact across processes: a change committed by another API worker or by the
CLI is seen by the next transfer, without waiting for a refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy.orm import Session

from treasury.accounts import repository
from treasury.accounts.model import BankAccount, LegalEntity
from treasury.db.engine import database_key

V = TypeVar("V")

# Beyond this many values the cache starts again (a group has hundreds of accounts, not this).
MAX_KEPT = 50_000

# (database, tenant, id) → (entity version, value). A bank account's value carries its entity's
# residency, so it is kept against the entity's version too.
_accounts: dict[tuple[str, str, str], tuple[int, BankAccount]] = {}
_entities: dict[tuple[str, str, str], tuple[int, LegalEntity]] = {}


def bank_accounts_with_entities(
    session: Session, tenant_id: str, account_ids: Sequence[str]
) -> tuple[dict[str, BankAccount], dict[str, LegalEntity]]:
    """The tenant's bank accounts among `account_ids` (others' and unknown ids are absent) and
    their entities, by id, as stored now: one read when all are kept already."""
    database = database_key(session.get_bind().engine)
    current = repository.account_entity_versions(session, tenant_id, account_ids)
    accounts: dict[str, BankAccount] = {}
    entities: dict[str, LegalEntity] = {}
    for account_id, (entity_id, version) in current.items():
        account = _accounts.get((database, tenant_id, account_id))
        if account is not None and account[0] == version:
            accounts[account_id] = account[1]
        entity = _entities.get((database, tenant_id, entity_id))
        if entity is not None and entity[0] == version:
            entities[entity_id] = entity[1]
    missing_accounts = [account_id for account_id in current if account_id not in accounts]
    if missing_accounts:
        read = repository.bank_accounts_by_id(session, tenant_id, missing_accounts)
        for account_id, value in read.items():
            version = current[account_id][1]
            _keep(_accounts, (database, tenant_id, account_id), (version, value))
        accounts.update(read)
    missing_entities = {entity_id for entity_id, _ in current.values()} - entities.keys()
    if missing_entities:
        for entity_id, kept in repository.versioned_entities(
            session, tenant_id, missing_entities
        ).items():
            _keep(_entities, (database, tenant_id, entity_id), kept)
            entities[entity_id] = kept[1]
    return accounts, entities


def _keep(values: dict[tuple[str, str, str], V], key: tuple[str, str, str], value: V) -> None:
    if len(values) >= MAX_KEPT:
        values.clear()
    values[key] = value
