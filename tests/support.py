"""Builders used by the tests: a tenant with tokens, entities, accounts, funding, transfers."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import TENANT_ROLES, Role


@dataclass
class TenantFixture:
    """A tenant's id, slug and a bearer header per role."""

    id: str
    slug: str
    headers: dict[Role, dict[str, str]] = field(default_factory=dict)

    @property
    def treasurer(self) -> dict[str, str]:
        """Headers of the treasurer."""
        return self.headers[Role.TREASURER]

    @property
    def admin(self) -> dict[str, str]:
        """Headers of the admin."""
        return self.headers[Role.ADMIN]

    @property
    def officer(self) -> dict[str, str]:
        """Headers of the compliance officer."""
        return self.headers[Role.COMPLIANCE_OFFICER]

    @property
    def auditor(self) -> dict[str, str]:
        """Headers of the auditor."""
        return self.headers[Role.AUDITOR]


def make_tenant(uow_factory: UnitOfWorkFactory, slug: str) -> TenantFixture:
    """A tenant with one token of each tenant role."""
    tenant, _ = tenancy_service.create_tenant(uow_factory(), slug=slug, name=slug)
    fixture = TenantFixture(id=tenant.id, slug=slug)
    for role in TENANT_ROLES:
        issued = tenancy_service.create_token(
            uow_factory(), tenant_slug=slug, role=role, name=f"{role.value}-{slug}"
        )
        fixture.headers[role] = {"Authorization": f"Bearer {issued.secret}"}
    return fixture


TOWNS = {"CN": "Shanghai", "HK": "Hong Kong", "SG": "Singapore", "US": "New York"}


def default_address(country: str) -> dict[str, str]:
    """A structured postal address in `country` (every payment file carries the debtor's)."""
    return {
        "street": "Harbour Road",
        "building": "1",
        "town": TOWNS.get(country, "Capital City"),
        "country": country,
    }


def create_entity(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """POST an entity (onshore enterprise by default) and return its body.

    It gets `default_address` in its country unless `address` is given; `address=None` creates
    one without an address.
    """
    body = {"code": f"E{uuid.uuid4().hex[:8]}", "name": "Entity", "country": "CN", **fields}
    if "address" not in fields:
        body["address"] = default_address(str(body["country"]))
    elif fields["address"] is None:
        del body["address"]
    response = client.post("/v1/entities", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def open_account(
    client: TestClient, headers: dict[str, str], entity_id: str, **fields: Any
) -> dict[str, Any]:
    """POST a bank account (CNY current account at Bank of China by default)."""
    body = {
        "entity_id": entity_id,
        "currency": "CNY",
        "bank_bic": "BKCHCNBJ",
        "number": uuid.uuid4().hex[:12],
        **fields,
    }
    response = client.post("/v1/accounts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def fund(
    client: TestClient,
    headers: dict[str, str],
    account_id: str,
    amount: str,
    value_date: str = "2026-11-20",
) -> None:
    """Credit an account through a bank statement line."""
    line = {
        "bank_ref": uuid.uuid4().hex,
        "value_date": value_date,
        "amount": amount,
        "description": "funding",
    }
    response = client.post(
        f"/v1/accounts/{account_id}/statement-lines", json={"lines": [line]}, headers=headers
    )
    assert response.status_code == 201, response.text


def transfer_body(debtor: str, creditor: str, amount: str, **fields: Any) -> dict[str, Any]:
    """An internal transfer body in CNY, value 2026-11-26, purpose other."""
    return {
        "debtor_account_id": debtor,
        "creditor_account_id": creditor,
        "amount": {"amount": amount, "currency": "CNY"},
        "value_date": "2026-11-26",
        "purpose": "other",
        **fields,
    }


def post_transfer(
    client: TestClient, headers: dict[str, str], body: dict[str, Any], key: str | None = None
) -> Any:
    """POST a transfer with an Idempotency-Key (a fresh one unless given)."""
    return client.post(
        "/v1/transfers",
        json=body,
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def balance(client: TestClient, headers: dict[str, str], account_id: str, as_of: str = "") -> Any:
    """GET an account's balance body."""
    query = f"?as_of={as_of}" if as_of else ""
    response = client.get(f"/v1/accounts/{account_id}/balance{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def join_audit_sealers() -> None:
    """Wait for the audit sealer's pending timers (each seals in its own short transaction)."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


def dispose_app(app: FastAPI) -> None:
    """Dispose an app's engine once its audit sealers have finished.

    A sealer firing after `engine.dispose()` would open a connection nobody closes: a
    ResourceWarning, an error under `filterwarnings = error`, in whichever test runs then.
    """
    join_audit_sealers()
    app.state.engine.dispose()
