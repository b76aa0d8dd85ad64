"""A transfer's accounts and entities are kept in process (`treasury.accounts.cache`, issue 14)
and checked against the database by each transfer: a change made by another process — another API
worker, the CLI — is seen by the very next transfer, however close together the changes come.

(The check itself is a prepared statement on the driver's cursor, which SQLAlchemy's statement
events do not see; a full read of an entity goes through the session and is seen.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from tests.support import transfer_body as internal_transfer
from treasury.accounts import service as accounts_service
from treasury.db.unit_of_work import UnitOfWorkFactory


def _pair(client: TestClient, headers: dict[str, str]) -> tuple[str, str, str]:
    """A funded account of one onshore entity, and an account of another onshore entity:
    (debtor account, creditor account, creditor's entity)."""
    debtor = open_account(client, headers, create_entity(client, headers)["id"])
    creditor_entity = create_entity(client, headers, name="Suzhou Components Co")
    creditor = open_account(client, headers, creditor_entity["id"])
    fund(client, headers, debtor["id"], "1000.00")
    return debtor["id"], creditor["id"], creditor_entity["id"]


def _move_entity(
    uow_factory: UnitOfWorkFactory, tenant_id: str, entity_id: str, country: str
) -> None:
    """The entity moved to `country` by the use case the CLI calls, on another engine than the
    API's: to the API's process this is another process's commit."""
    accounts_service.update_entity(
        uow_factory(), tenant_id=tenant_id, entity_id=entity_id, fields={"country": country}
    )


def _crosses_border(
    client: TestClient, headers: dict[str, str], debtor: str, creditor: str
) -> bool:
    response = post_transfer(client, headers, internal_transfer(debtor, creditor, "1.00"))
    if response.status_code == 422 and response.json()["code"] == "BOP_CODE_REQUIRED":
        return True  # only a payment crossing the border needs one
    assert response.status_code == 201, response.text
    return bool(response.json()["crosses_border"])


def test_an_entity_changed_by_another_process_is_seen_by_the_next_transfer(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    headers = tenant.treasurer
    debtor, creditor, creditor_entity = _pair(client, headers)
    assert _crosses_border(client, headers, debtor, creditor) is False

    _move_entity(uow_factory, tenant.id, creditor_entity, "HK")
    assert _crosses_border(client, headers, debtor, creditor) is True

    # Back again at the same instant (the test's clock is fixed): a timestamp could not tell
    # the two versions apart; the entity's version does.
    _move_entity(uow_factory, tenant.id, creditor_entity, "CN")
    assert _crosses_border(client, headers, debtor, creditor) is False


def test_another_tenants_account_is_not_found_after_it_was_kept(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    debtor, creditor, _ = _pair(client, tenant.treasurer)
    assert _crosses_border(client, tenant.treasurer, debtor, creditor) is False

    theirs = open_account(
        client, other_tenant.treasurer, create_entity(client, other_tenant.treasurer)["id"]
    )
    response = post_transfer(
        client, other_tenant.treasurer, internal_transfer(theirs["id"], creditor, "1.00")
    )
    assert response.status_code == 404, response.text
    assert creditor in response.json()["detail"]


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", keep)


def test_a_transfer_between_kept_accounts_does_not_read_their_entities_again(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    debtor, creditor, _ = _pair(client, headers)
    with _statements() as first:
        _crosses_border(client, headers, debtor, creditor)
    with _statements() as second:
        _crosses_border(client, headers, debtor, creditor)

    def entity_reads(statements: list[str]) -> list[str]:
        """Reads of entities in full (their names among the columns)."""
        return [each for each in statements if "accounts_entity.name" in each]

    assert len(entity_reads(first)) == 1  # both entities in one read, then kept
    assert entity_reads(second) == []
