"""Issue 11's defects in the HTTP contract: each answered a 500, stored garbage, or said nothing.

Every test here failed on the code before the fix (each names its defect number).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.api_support import FundedAccounts, Json, assert_problem, get_json, ledger_state
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)

DEFAULT_THRESHOLD = {"amount": "50000000.00", "currency": "CNY"}


# 3 — a null in PATCH /v1/settings means "back to the default", and what is stored reads back.


@pytest.mark.parametrize(
    ("field", "default"),
    [
        ("dual_approval_threshold", DEFAULT_THRESHOLD),
        ("hedge_ratio_policy", {}),
        ("pool_quota_breach_policy", {"default": "cap"}),
        ("back_valuation_limit_days", None),
    ],
)
def test_a_null_setting_goes_back_to_its_default(
    client: TestClient, tenant: TenantFixture, field: str, default: Any
) -> None:
    changed = {
        "dual_approval_threshold": {"amount": "1.00", "currency": "USD"},
        "hedge_ratio_policy": {"E1": {"min": "0.5", "max": "0.9"}},
        "pool_quota_breach_policy": {"default": "hold"},
        "back_valuation_limit_days": 5,
    }[field]
    first = client.patch("/v1/settings", json={field: changed}, headers=tenant.admin)
    assert first.status_code == 200, first.text

    response = client.patch("/v1/settings", json={field: None}, headers=tenant.admin)

    assert response.status_code == 200, response.text
    assert response.json()[field] == default
    assert get_json(client, "/v1/settings", tenant.admin)[field] == default


# 4 — a lone UTF-16 surrogate in any text of a request is a 422, never a 500.

SURROGATE = "\\ud800"  # as it is written inside a JSON string


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/transfers", {**transfer_body("X", "Y", "1.00"), "debtor_account_id": "@S@"}),
        ("/v1/accounts", {"entity_id": "@S@", "currency": "CNY", "number": "1"}),
        (
            "/v1/routes/quote",
            {
                "debtor_account_id": "@S@",
                "creditor_account_id": "X",
                "amount": {"amount": "1.00", "currency": "CNY"},
                "purpose": "other",
                "value_date": "2026-11-26",
            },
        ),
        (
            "/v1/exposures",
            {
                "entity_id": "@S@",
                "pair": "USDCNY",
                "direction": "receive",
                "amount": {"amount": "100.00", "currency": "USD"},
                "expected_date": "2027-05-26",
            },
        ),
        (
            "/v1/hedges",
            {
                "entity_id": "@S@",
                "exposure_id": "X",
                "trade_date": "2026-11-26",
                "instrument": {
                    "type": "forward",
                    "pair": "USDCNY",
                    "direction": "sell",
                    "notional": {"amount": "100.00", "currency": "USD"},
                    "strike": "7.0000",
                    "delivery_date": "2027-05-26",
                },
            },
        ),
        ("/v1/entities", {"code": "@S@", "name": "x", "country": "CN"}),
    ],
)
def test_a_lone_surrogate_is_a_validation_error(
    client: TestClient, tenant: TenantFixture, path: str, body: Json
) -> None:
    raw = json.dumps(body).replace("@S@", SURROGATE)

    response = client.post(
        path,
        content=raw.encode(),
        headers={
            **tenant.treasurer,
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )

    assert_problem(response, 422, "VALIDATION_ERROR")


def test_a_lone_surrogate_in_a_query_or_path_is_not_a_500(
    client: TestClient, tenant: TenantFixture
) -> None:
    for url in ("/v1/transfers/%ED%A0%80", "/v1/audit-events?actor=%ED%A0%80"):
        response = client.get(url, headers=tenant.auditor)
        assert response.status_code in (404, 422, 200), (url, response.text)
        assert response.headers["content-type"].startswith("application/")


# 5 — a timestamp filter without an offset is a 422; the extremes of the calendar are not a 500.


@pytest.mark.parametrize(
    "query", ["from=2026-12-02", "to=2026-12-02T10:00:00", "from=0001-01-01", "to=9999-12-31"]
)
def test_an_audit_filter_without_offset_is_a_validation_error(
    client: TestClient, tenant: TenantFixture, query: str
) -> None:
    response = client.get(f"/v1/audit-events?{query}", headers=tenant.auditor)

    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert "timezone" in problem["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01T00:00:00%2B14:00",
        "from=0001-01-01T00:00:00-12:00",
        "to=9999-12-31T23:59:59-12:00",
        "to=9999-12-31T23:59:59Z",
        "from=2026-12-02T00:00:00%2B08:00&to=2026-12-03T00:00:00%2B08:00",
    ],
)
def test_an_audit_filter_at_the_edges_of_time_answers(
    client: TestClient, tenant: TenantFixture, query: str
) -> None:
    response = client.get(f"/v1/audit-events?{query}", headers=tenant.auditor)

    assert response.status_code == 200, response.text
    assert isinstance(response.json()["items"], list)


# 6 — a running balance that would leave what is stored is refused before anything is written.

LARGEST = "999999999999999.99"


def test_statement_lines_that_would_overflow_a_balance_are_refused(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    lines = [
        {"bank_ref": uuid.uuid4().hex, "value_date": "2026-11-20", "amount": LARGEST}
        for _ in range(100)
    ]

    response = client.post(
        f"/v1/accounts/{books.cny_other['id']}/statement-lines",
        json={"lines": lines},
        headers=tenant.treasurer,
    )

    problem = assert_problem(response, 422, "BALANCE_OUT_OF_RANGE")
    assert "cannot be stored" in problem["detail"]
    assert ledger_state(client, tenant.treasurer, *books.ids) == before


def test_a_balance_is_refused_across_requests_too(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    account = books.cny_other["id"]
    accepted = 0
    for _ in range(20):
        line = {"bank_ref": uuid.uuid4().hex, "value_date": "2026-11-20", "amount": LARGEST}
        response = client.post(
            f"/v1/accounts/{account}/statement-lines",
            json={"lines": [line]},
            headers=tenant.treasurer,
        )
        if response.status_code == 201:
            accepted += 1
            continue
        assert_problem(response, 422, "BALANCE_OUT_OF_RANGE")
        break
    else:
        pytest.fail("twenty of the largest lines were all accepted")
    # The entity's suspense account, the other side of every line, already holds −1,000.00 from
    # the books' funding: it reaches the limit of 10^18 − 1 minor units at the tenth line.
    assert accepted == 9
    shown = balance(client, tenant.treasurer, account)["balance"]
    assert Decimal(shown) == Decimal(LARGEST) * 9


# 9 — looser than the contract.


@pytest.mark.parametrize("amount", ["١٠٠.٠٠", "１００", "1E+2", "१००"])
def test_amounts_in_other_digits_or_exponents_are_refused(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, amount: str
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    line = {"bank_ref": uuid.uuid4().hex, "value_date": "2026-11-20", "amount": amount}
    responses = [
        post_transfer(
            client, tenant.treasurer, transfer_body(books.cny["id"], books.cny_other["id"], amount)
        ),
        client.post(
            f"/v1/accounts/{books.cny['id']}/statement-lines",
            json={"lines": [line]},
            headers=tenant.treasurer,
        ),
    ]

    for response in responses:
        assert_problem(response, 422, "VALIDATION_ERROR")
    assert ledger_state(client, tenant.treasurer, *books.ids) == before


def test_a_negative_overdraft_limit_is_refused(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    body = {
        "entity_id": books.entity["id"],
        "currency": "CNY",
        "number": "neg-limit",
        "overdraft_limit": {"amount": "-1.00", "currency": "CNY"},
    }

    response = client.post("/v1/accounts", json=body, headers=tenant.treasurer)

    assert_problem(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("value_date", ["9999-12-31", "2028-01-01"])
def test_a_value_date_beyond_the_furthest_forward_date_is_refused(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, value_date: str
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    body = {
        **transfer_body(books.cny["id"], books.cny_other["id"], "1.00"),
        "value_date": value_date,
    }

    response = post_transfer(client, tenant.treasurer, body)

    problem = assert_problem(response, 422, "VALUE_DATE_TOO_FAR")
    assert "transfer.max_forward_value_days" in problem["detail"]
    assert ledger_state(client, tenant.treasurer, *books.ids) == before


def test_a_value_date_within_a_year_is_still_booked(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    body = {**transfer_body(books.cny["id"], books.cny_other["id"], "1.00")}
    body["value_date"] = "2027-06-01"

    response = post_transfer(client, tenant.treasurer, body)

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "booked"


def test_a_problem_never_echoes_the_raw_path(client: TestClient, tenant: TenantFixture) -> None:
    response = client.get("/v1/transfers/<script>alert(1)</script>", headers=tenant.auditor)

    problem = assert_problem(response, 404, "NOT_FOUND")
    assert "<script>" not in response.text
    assert problem.get("instance") in (None, "/v1/transfers/%3Cscript%3Ealert(1)%3C/script%3E")


@pytest.mark.parametrize("path", ["/healthz", "/v1/entities", "/v1/nowhere", "/openapi.json"])
def test_every_response_says_nosniff(client: TestClient, tenant: TenantFixture, path: str) -> None:
    response = client.get(path, headers=tenant.auditor)

    assert response.headers["x-content-type-options"] == "nosniff"


# 11 — a back-valued record that overdraws is booked, with a finding that opens a post-event item.


def test_a_back_valued_record_that_overdraws_opens_a_post_event_review(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    body = transfer_body(books.cny["id"], books.cny_other["id"], "9250000.00")
    body["value_date"] = "2026-11-24"

    response = post_transfer(client, tenant.treasurer, body)

    assert response.status_code == 201, response.text
    transfer = response.json()
    assert transfer["status"] == "booked"
    funds = [f for f in transfer["findings"] if f["rule"] == "INSUFFICIENT_FUNDS"]
    assert [f["severity"] for f in funds] == ["review"]
    assert transfer["review_id"] is not None
    review = get_json(client, f"/v1/reviews/{transfer['review_id']}", tenant.officer)
    assert review["kind"] == "post_event"
    assert "INSUFFICIENT_FUNDS" in {f["rule"] for f in review["findings"]}
    assert balance(client, tenant.treasurer, books.cny["id"])["balance"] == "-9249000.00"


def test_a_back_valued_record_within_funds_opens_no_review(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    body = transfer_body(books.cny["id"], books.cny_other["id"], "400.00")
    body["value_date"] = "2026-11-24"

    transfer = post_transfer(client, tenant.treasurer, body).json()

    assert transfer["status"] == "booked"
    assert transfer["review_id"] is None
    assert transfer["findings"] == []


# 10 — with dual approval, both officers' references are kept, merged and screened again.


def _second_officer(client: TestClient, tenant: TenantFixture) -> dict[str, str]:
    response = client.post(
        "/v1/tokens",
        json={"role": "compliance_officer", "name": "second officer"},
        headers=tenant.admin,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_the_first_officers_references_survive_a_dual_approval(
    client: TestClient, tenant: TenantFixture
) -> None:
    lowered = client.patch(
        "/v1/settings",
        json={"dual_approval_threshold": {"amount": "1.00", "currency": "CNY"}},
        headers=tenant.admin,
    )
    assert lowered.status_code == 200, lowered.text
    entity = create_entity(client, tenant.treasurer)
    payer = open_account(client, tenant.treasurer, entity["id"], bank_bic="HBKACNSH")
    fund(client, tenant.treasurer, payer["id"], "30000000.00")
    payee = client.post(
        "/v1/counterparties",
        json={
            "name": "Singapore Subsidiary Pte",
            "country": "SG",
            "bank_bic": "DBSSSGSG",
            "account": "123456789",
            "address": {"town": "Singapore", "country": "SG"},
        },
        headers=tenant.treasurer,
    ).json()
    body = {
        "debtor_account_id": payer["id"],
        "counterparty_id": payee["id"],
        "amount": {"amount": "20000000.00", "currency": "CNY"},
        "value_date": "2026-11-26",
        "purpose": "capital_injection",
        "bop_code": "622011",
    }
    held = post_transfer(client, tenant.treasurer, body).json()
    assert held["status"] == "held", held
    assert "CAPITAL_ACCOUNT_REF_MISSING" in {f["rule"] for f in held["findings"]}
    review_id = held["review_id"]

    first = client.post(
        f"/v1/reviews/{review_id}/decision",
        json={
            "decision": "approve",
            "reason": "registration seen",
            "references": {"registration": "SAFE-REG-42"},
        },
        headers=tenant.officer,
    )
    assert first.status_code == 200, first.text
    assert first.json()["transfer"]["status"] == "held"
    second = client.post(
        f"/v1/reviews/{review_id}/decision",
        json={"decision": "approve", "reason": "agree", "references": {"tax_filing": "TAX-7"}},
        headers=_second_officer(client, tenant),
    )

    assert second.status_code == 200, second.text
    booked = get_json(client, f"/v1/transfers/{held['id']}", tenant.auditor)
    assert booked["status"] == "booked"
    assert booked["references"] == {"registration": "SAFE-REG-42", "tax_filing": "TAX-7"}
    assert "CAPITAL_ACCOUNT_REF_MISSING" not in {f["rule"] for f in booked["findings"]}


# 2–6 as a property: any field of a valid body replaced by hostile text or an absurd number gives
# a 4xx problem (never a 500), and nothing is written.

HOSTILE_TEXT = st.one_of(
    st.text(alphabet=st.characters(categories=["Cs", "Cc", "Nd", "Zs", "Lo"]), max_size=12),
    st.sampled_from(
        [
            "\ud800",
            "a\udfffb",
            "\x00",
            "1E+30",
            "1E+400",
            "-1E-400",
            "NaN",
            "Infinity",
            "9" * 39,
            "0." + "0" * 38,
            "١٠٠.٠٠",
            "１００",
            "9999-12-31",
            "0001-01-01",
            "-0",
        ]
    ),
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
)


def _field_paths(body: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(body, dict):
        return [path for key, item in body.items() for path in _field_paths(item, (*prefix, key))]
    if isinstance(body, list):
        return [path for i, item in enumerate(body) for path in _field_paths(item, (*prefix, i))]
    return [prefix]


def _with(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = json.loads(json.dumps(body))
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copied


def _bodies(books: FundedAccounts) -> dict[str, Json]:
    return {
        "/v1/transfers": transfer_body(books.cny["id"], books.cny_other["id"], "1.00"),
        f"/v1/accounts/{books.cny['id']}/statement-lines": {
            "lines": [{"bank_ref": "fuzz", "value_date": "2026-11-20", "amount": "1.00"}]
        },
        "/v1/accounts": {
            "entity_id": books.entity["id"],
            "currency": "CNY",
            "number": "fuzz",
            "overdraft_limit": {"amount": "1.00", "currency": "CNY"},
        },
        "/v1/exposures": {
            "entity_id": books.entity["id"],
            "pair": "USDCNY",
            "direction": "receive",
            "amount": {"amount": "100.00", "currency": "USD"},
            "expected_date": "2027-05-26",
        },
    }


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_hostile_values_in_any_field_are_refused_cleanly(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, data: st.DataObject
) -> None:
    path, body = data.draw(st.sampled_from(sorted(_bodies(books).items())))
    field = data.draw(st.sampled_from(_field_paths(body)))
    value = data.draw(HOSTILE_TEXT)
    raw = json.dumps(_with(body, field, value))  # ensure_ascii: surrogates travel as \\udxxx

    before = ledger_state(client, tenant.treasurer, *books.ids)
    response = client.post(
        path,
        content=raw.encode(),
        headers={
            **tenant.treasurer,
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )

    assert response.status_code < 500, (path, field, value, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert ledger_state(client, tenant.treasurer, *books.ids) == before
