"""The treasurer's page /treasury over HTTP: sign-in, roles, CSRF, tenant isolation, cancelling.

The browser test (tests/e2e/test_treasury_page.py) reads the charts; these check the rules
around them on both backends.
"""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from httpx2 import Response

from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from tests.support import transfer_body as body_of

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY_FIELD = re.compile(r'name="idempotency_key" value="([^"]+)"')


def field(pattern: re.Pattern[str], page: Response) -> str:
    found = pattern.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def sign_in(client: TestClient, headers: dict[str, str]) -> Response:
    client.cookies.clear()
    form = client.get("/treasury/login")
    assert form.status_code == 200
    secret = headers["Authorization"].removeprefix("Bearer ")
    return client.post(
        "/treasury/login",
        data={"token": secret, "csrf_token": field(CSRF_FIELD, form)},
        follow_redirects=False,
    )


def held(client: TestClient, tenant: TenantFixture, code: str) -> str:
    entity = create_entity(client, tenant.treasurer, code=code, name=f"Entity {code}")
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital")
    current = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, capital["id"], "50000.00")
    response = post_transfer(
        client, tenant.treasurer, body_of(capital["id"], current["id"], "12000.00")
    )
    assert response.json()["status"] == "held", response.text
    return str(response.json()["id"])


def test_signed_out_visitors_and_the_operator_stay_out(
    client: TestClient, operator_headers: dict[str, str]
) -> None:
    page = client.get("/treasury", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/treasury/login"
    assert client.get("/treasury/positions.csv", follow_redirects=False).status_code == 303
    refused = sign_in(client, operator_headers)
    assert refused.status_code == 403
    assert "cannot use this page" in refused.text


def test_each_tenant_sees_its_own_group_and_only_writers_may_cancel(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    transfer_id = held(client, tenant, "OURS")
    held(client, other_tenant, "THEIRS")

    assert sign_in(client, tenant.treasurer).status_code == 303
    page = client.get("/treasury?as_of=2026-11-26&group_by=entity")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'data-key="OURS"' in page.text
    assert "THEIRS" not in page.text
    assert f"/treasury/transfers/{transfer_id}/cancellation" in page.text
    export = client.get("/treasury/positions.csv?as_of=2026-11-26&group_by=entity")
    assert export.headers["content-type"].startswith("text/csv")
    assert "OURS" in export.text
    assert "THEIRS" not in export.text

    assert sign_in(client, tenant.auditor).status_code == 303
    page = client.get("/treasury")
    assert page.status_code == 200
    assert "/cancellation" not in page.text  # an auditor reads, cancels nothing
    forged = client.post(
        f"/treasury/transfers/{transfer_id}/cancellation",
        data={"csrf_token": field(CSRF_FIELD, page), "reason": "x", "idempotency_key": "k"},
    )
    assert forged.status_code == 403


def test_cancelling_from_the_page_needs_the_form_token_and_a_reason(
    client: TestClient, tenant: TenantFixture
) -> None:
    transfer_id = held(client, tenant, "CANC")
    sign_in(client, tenant.treasurer)
    page = client.get("/treasury")
    action = f"/treasury/transfers/{transfer_id}/cancellation"
    form = {"csrf_token": field(CSRF_FIELD, page), "idempotency_key": field(KEY_FIELD, page)}

    assert client.post(action, data={**form, "csrf_token": "forged"}).status_code == 403
    no_reason = client.post(action, data={**form, "reason": " "})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.text

    done = client.post(action, data={**form, "reason": "duplicate"}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/treasury?done=cancelled")
    again = client.post(action, data={**form, "reason": "duplicate"}, follow_redirects=False)
    assert again.status_code == 303  # the same form twice: a replay, not an error
    shown = client.get(f"/v1/transfers/{transfer_id}", headers=tenant.treasurer).json()
    assert shown["status"] == "cancelled"

    other_key = {**form, "idempotency_key": uuid.uuid4().hex, "reason": "again"}
    late = client.post(action, data=other_key)
    assert late.status_code == 409  # cancelled already: NOT_CANCELLABLE, shown on the page
