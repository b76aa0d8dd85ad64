"""Bad input: each is refused with its catalogue code as problem+json, and changes nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import FundedAccounts, assert_problem, get_json, ledger_state
from tests.support import TenantFixture, post_transfer, transfer_body

Json = dict[str, Any]


def with_amount(body: Json, amount: Any, currency: str = "CNY") -> Json:
    """The body with another amount."""
    return {**body, "amount": {"amount": amount, "currency": currency}}


# Each case: a function of the books building a transfer body, the status and the code.
Case = tuple[str, Callable[[FundedAccounts], Json], int, str]
CASES: list[Case] = [
    (
        "unknown currency",
        lambda b: with_amount(transfer_body(b.cny["id"], b.cny_other["id"], "1"), "1.00", "XYZ"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "amount as a JSON number",
        lambda b: with_amount(transfer_body(b.cny["id"], b.cny_other["id"], "1"), 10.5),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "amount as a JSON integer",
        lambda b: with_amount(transfer_body(b.cny["id"], b.cny_other["id"], "1"), 10),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "three decimals of CNY",
        lambda b: transfer_body(b.cny["id"], b.cny_other["id"], "1.001"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "decimals of JPY",
        lambda b: (
            with_amount(transfer_body(b.jpy["id"], b.cny["id"], "1"), "1.5", "JPY")
            | {"fx_rate": "0.05"}
        ),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "zero",
        lambda b: transfer_body(b.cny["id"], b.cny_other["id"], "0.00"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "negative",
        lambda b: transfer_body(b.cny["id"], b.cny_other["id"], "-5.00"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "exponent notation",
        lambda b: transfer_body(b.cny["id"], b.cny_other["id"], "1E+2"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "amount currency is not the account's",
        lambda b: with_amount(transfer_body(b.cny["id"], b.cny_other["id"], "1"), "5.00", "USD"),
        422,
        "CURRENCY_MISMATCH",
    ),
    (
        "unknown debtor account",
        lambda b: transfer_body(str(uuid.uuid4()), b.cny_other["id"], "5.00"),
        404,
        "NOT_FOUND",
    ),
    (
        "unknown creditor account",
        lambda b: transfer_body(b.cny["id"], str(uuid.uuid4()), "5.00"),
        404,
        "NOT_FOUND",
    ),
    (
        "impossible value date",
        lambda b: transfer_body(b.cny["id"], b.cny_other["id"], "5.00", value_date="2026-02-30"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "two creditors",
        lambda b: (
            transfer_body(b.cny["id"], b.cny_other["id"], "5.00")
            | {"creditor": {"name": "Acme", "country": "DE"}}
        ),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "no creditor",
        lambda b: {
            k: v
            for k, v in transfer_body(b.cny["id"], b.cny_other["id"], "5.00").items()
            if k != "creditor_account_id"
        },
        422,
        "VALIDATION_ERROR",
    ),
    (
        "the same account on both sides",
        lambda b: transfer_body(b.cny["id"], b.cny["id"], "5.00"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "cross-currency internal transfer without fx_rate",
        lambda b: transfer_body(b.cny["id"], b.usd["id"], "5.00"),
        422,
        "FX_RATE_REQUIRED",
    ),
    (
        "fx_rate as a JSON number",
        lambda b: transfer_body(b.cny["id"], b.usd["id"], "5.00", fx_rate=0.14),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "cross-border transfer without bop_code",
        lambda b: transfer_body(b.cny["id"], b.hk["id"], "5.00"),
        422,
        "BOP_CODE_REQUIRED",
    ),
    (
        "cross-border inbound transfer without bop_code",
        lambda b: transfer_body(b.hk["id"], b.cny["id"], "5.00"),
        422,
        "BOP_CODE_REQUIRED",
    ),
    (
        "malformed bop_code",
        lambda b: transfer_body(b.cny["id"], b.hk["id"], "5.00", bop_code="12A010"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "unknown purpose",
        lambda b: transfer_body(b.cny["id"], b.cny_other["id"], "5.00", purpose="gambling"),
        422,
        "VALIDATION_ERROR",
    ),
    (
        "unknown field",
        lambda b: transfer_body(b.cny["id"], b.cny_other["id"], "5.00", priority="urgent"),
        422,
        "VALIDATION_ERROR",
    ),
]


@pytest.mark.parametrize(("name", "build", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_a_refused_transfer_has_its_code_and_changes_nothing(
    client: TestClient,
    tenant: TenantFixture,
    books: FundedAccounts,
    name: str,
    build: Callable[[FundedAccounts], Json],
    status: int,
    code: str,
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)

    response = post_transfer(client, tenant.treasurer, build(books))

    assert_problem(response, status, code)
    assert ledger_state(client, tenant.treasurer, *books.ids) == before


def test_a_transfer_without_idempotency_key_is_refused(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    body = transfer_body(books.cny["id"], books.cny_other["id"], "5.00")

    for headers in ({}, {"Idempotency-Key": ""}, {"Idempotency-Key": "   "}):
        response = client.post("/v1/transfers", json=body, headers={**tenant.treasurer, **headers})
        assert_problem(response, 422, "IDEMPOTENCY_KEY_REQUIRED")

    assert ledger_state(client, tenant.treasurer, *books.ids) == before


def test_an_overlong_idempotency_key_is_refused(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    body = transfer_body(books.cny["id"], books.cny_other["id"], "5.00")
    response = post_transfer(client, tenant.treasurer, body, key="k" * 256)
    assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/transfers", tenant.treasurer)["items"] == []


@pytest.mark.parametrize(
    "path", ["/v1/transfers", "/v1/entities", "/v1/accounts", "/v1/counterparties"]
)
@pytest.mark.parametrize("raw", [b'{"debtor_account_id": ', b"not json", b"[1, 2"])
def test_malformed_json_is_a_validation_error(
    client: TestClient, tenant: TenantFixture, path: str, raw: bytes
) -> None:
    headers = {
        **tenant.treasurer,
        "Content-Type": "application/json",
        "Idempotency-Key": uuid.uuid4().hex,
    }

    response = client.post(path, content=raw, headers=headers)

    assert_problem(response, 422, "VALIDATION_ERROR")
    for listing in ("/v1/transfers", "/v1/entities", "/v1/counterparties", "/v1/accounts"):
        assert get_json(client, listing, tenant.treasurer)["items"] == []


def test_a_body_over_two_mebibytes_is_413(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    body = transfer_body(books.cny["id"], books.cny_other["id"], "5.00", remark="x" * 100)
    padded = json.dumps(body).encode() + b" " * (2 * 1024 * 1024)

    response = client.post(
        "/v1/transfers",
        content=padded,
        headers={**tenant.treasurer, "Content-Type": "application/json", "Idempotency-Key": "big"},
    )

    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert ledger_state(client, tenant.treasurer, *books.ids) == before


def test_a_large_statement_import_over_the_limit_is_413_and_books_nothing(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    line = {"value_date": "2026-11-20", "amount": "1.00", "description": "d" * 400}
    lines = [{**line, "bank_ref": f"ref-{index}"} for index in range(5000)]
    content = json.dumps({"lines": lines}).encode()
    assert len(content) > 2 * 1024 * 1024

    response = client.post(
        f"/v1/accounts/{books.cny['id']}/statement-lines",
        content=content,
        headers={**tenant.treasurer, "Content-Type": "application/json"},
    )

    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert ledger_state(client, tenant.treasurer, *books.ids) == before


@pytest.mark.parametrize(
    "path",
    [
        "/v1/accounts/{cny}/balance?as_of=2026-02-30",
        "/v1/accounts/{cny}/balance?as_of=26-11-2026",
        "/v1/journal-entries?from=2026-13-01",
        "/v1/transfers?to=2026-02-29",
        "/v1/reference-rates/USDCNY/on/2026-02-30",
    ],
)
def test_impossible_dates_in_queries_are_validation_errors(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, path: str
) -> None:
    response = client.get(path.format(cny=books.cny["id"]), headers=tenant.treasurer)
    assert_problem(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ({"value_date": "2026-02-30", "amount": "5.00"}, "VALIDATION_ERROR"),
        ({"value_date": "2026-11-20", "amount": "5.001"}, "VALIDATION_ERROR"),
        ({"value_date": "2026-11-20", "amount": 5}, "VALIDATION_ERROR"),
        ({"value_date": "2026-11-20", "amount": "0.00"}, "VALIDATION_ERROR"),
        ({"value_date": "2026-11-20", "amount": "abc"}, "VALIDATION_ERROR"),
    ],
)
def test_bad_statement_lines_are_refused_and_book_nothing(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, line: Json, code: str
) -> None:
    before = ledger_state(client, tenant.treasurer, *books.ids)
    good = {"bank_ref": uuid.uuid4().hex, "value_date": "2026-11-20", "amount": "7.00"}

    response = client.post(
        f"/v1/accounts/{books.cny['id']}/statement-lines",
        json={"lines": [good, {"bank_ref": "bad", **line}]},
        headers=tenant.treasurer,
    )

    assert_problem(response, 422, code)
    assert ledger_state(client, tenant.treasurer, *books.ids) == before


@pytest.mark.parametrize(
    "body",
    [
        {"currency": "XYZ", "number": "1"},
        {
            "currency": "CNY",
            "number": "1",
            "overdraft_limit": {"amount": "1.001", "currency": "CNY"},
        },
        {"currency": "CNY", "number": "1", "overdraft_limit": {"amount": 100, "currency": "CNY"}},
        {"currency": "CNY", "number": "1", "kind": "piggy_bank"},
        {"currency": "CNY", "number": "1", "bank_bic": "NOTABIC"},
    ],
)
def test_bad_accounts_are_refused_and_nothing_is_opened(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, body: Json
) -> None:
    response = client.post(
        "/v1/accounts", json={"entity_id": books.entity["id"], **body}, headers=tenant.treasurer
    )

    expected = "INVALID_IDENTIFIER" if "bank_bic" in body else "VALIDATION_ERROR"
    assert_problem(response, 422, expected)
    assert len(get_json(client, "/v1/accounts", tenant.treasurer)["items"]) == len(books.ids)


def test_an_overdraft_limit_in_another_currency_is_a_currency_mismatch(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    body = {
        "entity_id": books.entity["id"],
        "currency": "CNY",
        "number": "od-1",
        "overdraft_limit": {"amount": "100.00", "currency": "USD"},
    }
    response = client.post("/v1/accounts", json=body, headers=tenant.treasurer)
    assert_problem(response, 422, "CURRENCY_MISMATCH")
    assert len(get_json(client, "/v1/accounts", tenant.treasurer)["items"]) == len(books.ids)
