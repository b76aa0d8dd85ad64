"""The officers' page /review: sign-in, session cookie, CSRF, escaping, decisions, dual approval."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import SecretStr

from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    dispose_app,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.api.app import create_app
from treasury.clock import FixedClock
from treasury.settings import Settings

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def secret_of(headers: dict[str, str]) -> str:
    """The bearer secret in an Authorization header."""
    return headers["Authorization"].removeprefix("Bearer ")


def csrf_of(page: Response) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF_FIELD.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def attempt_sign_in(client: TestClient, secret: str) -> Response:
    """Open the sign-in form and post a token with the form's CSRF token."""
    form = client.get("/review/login")
    assert form.status_code == 200
    return client.post(
        "/review/login",
        data={"token": secret, "csrf_token": csrf_of(form)},
        follow_redirects=False,
    )


def sign_in(client: TestClient, headers: dict[str, str]) -> str:
    """Sign in with a token (dropping any earlier session); returns the session's CSRF token."""
    client.cookies.clear()
    response = attempt_sign_in(client, secret_of(headers))
    assert response.status_code == 303, response.text
    queue = client.get("/review")
    assert queue.status_code == 200
    return csrf_of(queue)


def held_transfer(
    client: TestClient,
    tenant: TenantFixture,
    *,
    amount: str = "1000.00",
    entity_name: str = "Shanghai Components Co.",
    remark: str | None = "equipment deposit",
) -> dict[str, Any]:
    """A transfer out of a capital account for purpose `other`: held for a review."""
    entity = create_entity(client, tenant.treasurer, name=entity_name)
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital")
    current = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, capital["id"], "5000.00")
    body = transfer_body(capital["id"], current["id"], amount, remark=remark)
    response = post_transfer(client, tenant.treasurer, body)
    assert response.status_code == 201, response.text
    transfer = dict(response.json())
    assert transfer["status"] == "held", transfer
    assert transfer["review_id"] is not None
    return transfer


def decide(
    client: TestClient, review_id: str, csrf: str | None, decision: str, reason: str, **extra: str
) -> Response:
    """POST the decision form."""
    form = {"decision": decision, "reason": reason, **extra}
    if csrf is not None:
        form["csrf_token"] = csrf
    return client.post(f"/review/{review_id}/decision", data=form, follow_redirects=False)


def transfer_status(client: TestClient, tenant: TenantFixture, transfer_id: str) -> str:
    """The transfer's status through the API."""
    response = client.get(f"/v1/transfers/{transfer_id}", headers=tenant.treasurer)
    assert response.status_code == 200
    return str(response.json()["status"])


def new_officer(client: TestClient, tenant: TenantFixture) -> dict[str, Any]:
    """A second compliance officer's token, made by the admin."""
    response = client.post(
        "/v1/tokens",
        json={"role": "compliance_officer", "name": f"officer-{uuid.uuid4().hex[:6]}"},
        headers=tenant.admin,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


# Sign-in and the session --------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_session_cookie(
    client: TestClient, tenant: TenantFixture
) -> None:
    response = attempt_sign_in(client, secret_of(tenant.officer))

    assert response.status_code == 303
    assert response.headers["location"] == "/review"
    cookies = [c for c in response.headers.get_list("set-cookie") if "review_session=" in c]
    assert len(cookies) == 1
    flags = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/review" in flags
    assert "max-age=28800" in flags
    assert "secure" not in flags  # plain http in the test; set over https
    assert secret_of(tenant.officer) not in cookies[0]


@pytest.mark.parametrize("role", ["officer", "auditor", "treasurer", "admin"])
def test_every_reading_role_may_sign_in(
    client: TestClient, tenant: TenantFixture, role: str
) -> None:
    headers: dict[str, str] = getattr(tenant, role)

    sign_in(client, headers)

    assert "Review queue" in client.get("/review").text


def test_an_unknown_token_gets_a_401_page(client: TestClient) -> None:
    response = attempt_sign_in(client, "trs_not-a-token")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "Unknown or revoked token" in response.text
    assert "review_session=" not in response.headers.get("set-cookie", "")


def test_the_operator_gets_a_403_page(client: TestClient, operator_headers: dict[str, str]) -> None:
    response = attempt_sign_in(client, secret_of(operator_headers))

    assert response.status_code == 403
    assert "operator role cannot use this page" in response.text
    assert "review_session=" not in response.headers.get("set-cookie", "")


def test_sign_in_without_the_form_token_is_refused(
    client: TestClient, tenant: TenantFixture
) -> None:
    response = client.post(
        "/review/login", data={"token": secret_of(tenant.officer)}, follow_redirects=False
    )

    assert response.status_code == 403
    assert "review_session=" not in response.headers.get("set-cookie", "")


def test_pages_need_a_session_and_carry_security_headers(client: TestClient) -> None:
    response = client.get("/review", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/review/login"
    page = client.get("/review/login")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in page.text


def test_a_forged_or_expired_session_is_not_accepted(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    sign_in(client, tenant.officer)
    (stored,) = [c for c in client.cookies.jar if c.name == "treasury_review_session"]
    assert stored.value is not None
    token_id, nonce, expires, mac = stored.value.split(".")[1:]

    def present(value: str) -> int:
        client.cookies.clear()
        client.cookies.set(stored.name, value, domain=stored.domain, path=stored.path)
        return client.get("/review", follow_redirects=False).status_code

    assert present(f"v1.{token_id}.{nonce}.{int(expires) + 3600}.{mac}") == 303
    assert present(f"v1.{uuid.uuid4()}.{nonce}.{expires}.{mac}") == 303
    assert present(stored.value) == 200
    clock.instant += timedelta(hours=8, minutes=1)
    assert present(stored.value) == 303


def test_revoking_the_token_ends_its_sessions(client: TestClient, tenant: TenantFixture) -> None:
    officer = new_officer(client, tenant)
    sign_in(client, {"Authorization": f"Bearer {officer['token']}"})

    revoked = client.delete(f"/v1/tokens/{officer['id']}", headers=tenant.admin)

    assert revoked.status_code == 204
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_a_configured_secret_lets_a_session_span_processes(
    settings: Settings, clock: FixedClock, tenant: TenantFixture
) -> None:
    shared = settings.model_copy(update={"session_secret": SecretStr("s3cret-" * 6)})
    apps = [create_app(shared, clock=clock), create_app(shared, clock=clock)]
    apps.append(create_app(settings, clock=clock))  # its own random key
    try:
        with TestClient(apps[0]) as one, TestClient(apps[1]) as two, TestClient(apps[2]) as three:
            sign_in(one, tenant.officer)
            two.cookies = one.cookies
            three.cookies = one.cookies
            assert two.get("/review", follow_redirects=False).status_code == 200
            assert three.get("/review", follow_redirects=False).status_code == 303
    finally:
        for application in apps:
            dispose_app(application)


def test_a_short_session_secret_is_refused(settings: Settings) -> None:
    weak = settings.model_copy(update={"session_secret": SecretStr("short")})

    with pytest.raises(ValueError, match="at least 32 bytes"):
        create_app(weak)


def test_signing_out_clears_the_cookie(client: TestClient, tenant: TenantFixture) -> None:
    csrf = sign_in(client, tenant.officer)

    response = client.post("/review/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/review/login")
    assert "treasury_review_session" not in client.cookies
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_signing_out_needs_the_csrf_token(client: TestClient, tenant: TenantFixture) -> None:
    sign_in(client, tenant.officer)

    response = client.post("/review/logout", data={}, follow_redirects=False)

    assert response.status_code == 403
    assert client.get("/review", follow_redirects=False).status_code == 200


def test_static_files_are_served_and_nothing_else(client: TestClient) -> None:
    css = client.get("/review/static/review.css")
    icon = client.get("/review/static/favicon.svg")

    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/review/static/web.py").status_code == 404


# The queue and an item ----------------------------------------------------------------------


def test_the_queue_shows_the_held_item(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_transfer(client, tenant, amount="1234.50")
    sign_in(client, tenant.officer)

    page = client.get("/review")

    assert page.status_code == 200
    assert f'href="/review/{transfer["review_id"]}"' in page.text
    assert "CNY 1,234.50" in page.text
    assert "CAPITAL_ACCOUNT_USE_UNSPECIFIED" in page.text
    assert "0 of 1" in page.text
    assert "Shanghai Components Co." in page.text


def test_the_queue_filters_by_status_and_kind(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_transfer(client, tenant)
    sign_in(client, tenant.officer)
    link = f'href="/review/{transfer["review_id"]}"'

    assert link not in client.get("/review?status=approved").text
    assert link in client.get("/review?status=all&kind=hold").text
    assert link not in client.get("/review?status=pending&kind=post_event").text
    assert client.get("/review?status=bogus").status_code == 422


def test_the_item_shows_transfer_parties_findings_and_history(
    client: TestClient, tenant: TenantFixture
) -> None:
    transfer = held_transfer(client, tenant, remark="deposit for press line 3")
    sign_in(client, tenant.officer)

    page = client.get(f"/review/{transfer['review_id']}")

    assert page.status_code == 200
    for expected in (
        "CNY 1,000.00",
        "deposit for press line 3",
        "Shanghai Components Co.",
        "capital-account income spent on an unspecified purpose",
        "资本项目收入用途未明确，需合规人员审核",
        "0 of 1 approvals",
        "created the transfer",
        f"treasurer-{tenant.slug}",
        'name="reason"',
    ):
        assert expected in page.text, expected


def test_another_tenants_item_is_not_found(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    transfer = held_transfer(client, other_tenant)
    sign_in(client, tenant.officer)

    page = client.get(f"/review/{transfer['review_id']}")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Shanghai Components Co." not in page.text


def test_user_supplied_text_is_escaped(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_transfer(client, tenant, entity_name=f"Evil {SCRIPT}", remark=SCRIPT)
    csrf = sign_in(client, tenant.officer)
    review_id = transfer["review_id"]
    decided = decide(client, review_id, csrf, "approve", f"ok {SCRIPT}", tax_filing=SCRIPT)
    assert decided.status_code == 303

    for page in (client.get("/review?status=all"), client.get(f"/review/{review_id}")):
        assert page.status_code == 200
        assert "<script" not in page.text
        assert ESCAPED_SCRIPT in page.text
    assert client.get(f"/review/{review_id}").text.count(ESCAPED_SCRIPT) >= 4


# Decisions ------------------------------------------------------------------------------------


def test_a_decision_without_the_csrf_token_changes_nothing(
    client: TestClient, tenant: TenantFixture
) -> None:
    transfer = held_transfer(client, tenant)
    csrf = sign_in(client, tenant.officer)
    review_id = transfer["review_id"]

    missing = decide(client, review_id, None, "approve", "looks fine")
    wrong = decide(client, review_id, csrf[:-2] + "xx", "approve", "looks fine")
    cross_site = client.post(
        f"/review/{review_id}/decision",
        data={"decision": "approve", "reason": "fine", "csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )

    assert [missing.status_code, wrong.status_code, cross_site.status_code] == [403, 403, 403]
    assert transfer_status(client, tenant, transfer["id"]) == "held"
    assert "0 of 1 approvals" in client.get(f"/review/{review_id}").text


def test_approving_books_the_transfer(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_transfer(client, tenant)
    csrf = sign_in(client, tenant.officer)
    review_id = transfer["review_id"]

    response = decide(
        client,
        review_id,
        csrf,
        "approve",
        "board resolution seen",
        tax_filing="TF-2026-001",
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/review/{review_id}?done=approved"
    page = client.get(response.headers["location"])
    assert "Approved: the review is complete" in page.text
    assert "1 of 1 approvals" in page.text
    assert "board resolution seen" in page.text
    assert 'name="reason"' not in page.text  # closed: no form
    booked = client.get(f"/v1/transfers/{transfer['id']}", headers=tenant.treasurer).json()
    assert booked["status"] == "booked"
    assert booked["references"]["tax_filing"] == "TF-2026-001"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "http://testserver.evil.example", "Sec-Fetch-Site": "same-origin"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403),
        ({"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, 303),
        # What Chromium sends for a same-origin form under Referrer-Policy: no-referrer.
        ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 303),
    ],
)
def test_decisions_are_taken_only_from_this_site(
    client: TestClient, tenant: TenantFixture, headers: dict[str, str], status: int
) -> None:
    transfer = held_transfer(client, tenant)
    csrf = sign_in(client, tenant.officer)

    response = client.post(
        f"/review/{transfer['review_id']}/decision",
        data={"decision": "approve", "reason": "fine", "csrf_token": csrf},
        headers=headers,
        follow_redirects=False,
    )

    assert response.status_code == status
    expected = "booked" if status == 303 else "held"
    assert transfer_status(client, tenant, transfer["id"]) == expected


def test_rejecting_releases_the_reservation(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_transfer(client, tenant, amount="1500.00")
    account_id = transfer["debtor_account_id"]
    assert balance(client, tenant.treasurer, account_id)["available"] == "3500.00"
    csrf = sign_in(client, tenant.officer)

    response = decide(client, transfer["review_id"], csrf, "reject", "no contract on file")

    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=rejected")
    assert transfer_status(client, tenant, transfer["id"]) == "rejected"
    assert balance(client, tenant.treasurer, account_id)["available"] == "5000.00"
    page = client.get(response.headers["location"])
    assert "Rejected: the reservation is released" in page.text
    assert "no contract on file" in page.text


def test_a_decided_item_gets_a_409_message(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_transfer(client, tenant)
    csrf = sign_in(client, tenant.officer)
    assert decide(client, transfer["review_id"], csrf, "reject", "no").status_code == 303

    again = decide(client, transfer["review_id"], csrf, "approve", "changed my mind")

    assert again.status_code == 409
    assert "the review is rejected already" in again.text
    assert "Traceback" not in again.text
    assert transfer_status(client, tenant, transfer["id"]) == "rejected"


def test_an_oversized_form_is_refused_with_413(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_transfer(client, tenant)
    csrf = sign_in(client, tenant.officer)

    response = decide(client, transfer["review_id"], csrf, "approve", "x" * (3 * 1024 * 1024))

    assert response.status_code == 413
    assert transfer_status(client, tenant, transfer["id"]) == "held"


def test_a_decision_needs_a_reason(client: TestClient, tenant: TenantFixture) -> None:
    transfer = held_transfer(client, tenant)
    csrf = sign_in(client, tenant.officer)

    response = decide(client, transfer["review_id"], csrf, "approve", "   ")

    assert response.status_code == 422
    assert "a decision needs a reason" in response.text
    assert transfer_status(client, tenant, transfer["id"]) == "held"


@pytest.mark.parametrize("role", ["treasurer", "auditor"])
def test_reading_roles_may_not_decide(client: TestClient, tenant: TenantFixture, role: str) -> None:
    transfer = held_transfer(client, tenant)
    csrf = sign_in(client, getattr(tenant, role))
    page = client.get(f"/review/{transfer['review_id']}")
    assert 'name="reason"' not in page.text
    assert "Read-only" in page.text

    response = decide(client, transfer["review_id"], csrf, "approve", "I made it myself")

    assert response.status_code == 403
    assert "may not decide on reviews" in response.text
    assert transfer_status(client, tenant, transfer["id"]) == "held"


def test_dual_approval_shows_its_progress(client: TestClient, tenant: TenantFixture) -> None:
    patched = client.patch(
        "/v1/settings",
        json={"dual_approval_threshold": {"amount": "100.00", "currency": "CNY"}},
        headers=tenant.admin,
    )
    assert patched.status_code == 200, patched.text
    transfer = held_transfer(client, tenant, amount="500.00")
    review_id = transfer["review_id"]
    csrf = sign_in(client, tenant.officer)

    first = decide(client, review_id, csrf, "approve", "first look")
    assert first.headers["location"] == f"/review/{review_id}?done=pending"
    page = client.get(first.headers["location"])
    assert "1 of 2 approvals" in page.text
    assert "a second officer must approve" in page.text
    assert transfer_status(client, tenant, transfer["id"]) == "held"

    same_again = decide(client, review_id, csrf, "approve", "really fine")
    assert same_again.status_code == 409
    assert "this officer has approved already" in same_again.text
    assert "1 of 2 approvals" in same_again.text

    second = new_officer(client, tenant)
    csrf = sign_in(client, {"Authorization": f"Bearer {second['token']}"})
    completed = decide(client, review_id, csrf, "approve", "second look")
    assert completed.headers["location"] == f"/review/{review_id}?done=approved"
    assert "2 of 2 approvals" in client.get(completed.headers["location"]).text
    assert transfer_status(client, tenant, transfer["id"]) == "booked"
