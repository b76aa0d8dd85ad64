"""Helpers of the HTTP tests: problem+json assertions and snapshots of what a request may change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from tests.support import balance

Json = dict[str, Any]
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: Response, status: int, code: str) -> Json:
    """Assert an RFC 9457 problem with this status and catalogue code; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: Json = response.json()
    assert set(body) >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["code"] == code, body
    for field in ("type", "title", "detail"):
        assert isinstance(body[field], str), body
        assert body[field], body
    return body


def get_json(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    """GET a path that must answer 200; return its JSON body."""
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def entry_ids(client: TestClient, headers: dict[str, str], account_id: str) -> list[str]:
    """Ids of the journal entries touching an account."""
    body = get_json(client, f"/v1/journal-entries?account_id={account_id}", headers)
    return [entry["id"] for entry in body["items"]]


def transfer_ids(client: TestClient, headers: dict[str, str]) -> list[str]:
    """Ids of the tenant's transfers."""
    return [item["id"] for item in get_json(client, "/v1/transfers", headers)["items"]]


@dataclass(frozen=True)
class LedgerState:
    """What a refused request must leave as it was: balances, entries and transfers."""

    balances: dict[str, tuple[str, str]]
    entries: list[str]
    transfers: list[str]


def ledger_state(client: TestClient, headers: dict[str, str], *account_ids: str) -> LedgerState:
    """Accounts' balances and available amounts (far ahead, so that any value date counts), the
    tenant's journal entries and transfers."""
    balances: dict[str, tuple[str, str]] = {}
    for account_id in account_ids:
        later = balance(client, headers, account_id, as_of="2099-12-31")
        balances[account_id] = (later["balance"], later["available"])
    entries = [entry["id"] for entry in get_json(client, "/v1/journal-entries", headers)["items"]]
    return LedgerState(balances, entries, transfer_ids(client, headers))


@dataclass(frozen=True)
class FundedAccounts:
    """A funded CNY account, a second CNY account, a USD and a JPY account of one CN entity,
    and a funded account of an HK entity."""

    entity: Json
    cny: Json
    cny_other: Json
    usd: Json
    jpy: Json
    hk: Json

    @property
    def ids(self) -> list[str]:
        """Every account id."""
        return [a["id"] for a in (self.cny, self.cny_other, self.usd, self.jpy, self.hk)]
