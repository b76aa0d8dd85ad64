"""A schemathesis run over /openapi.json: no 5xx, and no response that contradicts the document.

Authenticated as the treasurer of a fresh tenant that has an entity, accounts, a balance, a
counterparty, a booked and a held transfer, so that lists return real items for the response
schemas to judge. Every operation runs with generated path ids (mostly 404s) and, where it has
them, once more with the tenant's real ids, to reach past the lookups.

Every role runs it: the treasurer with the most examples, then the admin (settings, tokens), the
compliance officer, the auditor and the operator (reference data) with fewer — a role's own
operations are where its defects hide (a null in PATCH /v1/settings was one).

Bounded to a few examples per operation and mode with no deadline: about 30 s a database on
2 cores for the treasurer, so it runs on PostgreSQL too. TREASURY_FUZZ_EXAMPLES raises the count
for a longer hunt.
Schemathesis' own pytest plugin (`from_fixture`) does not work under pytest 9, hence the loop.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import traceback
from typing import Any

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import (
    TenantFixture,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.tenancy.model import Role

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
_EXAMPLES = os.environ.get("TREASURY_FUZZ_EXAMPLES")
MAX_EXAMPLES = {
    GenerationMode.POSITIVE: int(_EXAMPLES or 15),
    GenerationMode.NEGATIVE: int(_EXAMPLES or 8),
}
PINNED_EXAMPLES = int(_EXAMPLES or 8)
# Other roles than the treasurer: this share of the treasurer's examples (at least 2).
OTHER_ROLE_SHARE = 3
PATH_PARAMETER = re.compile(r"{(\w+)}")


def created(response: Any) -> dict[str, Any]:
    """The body of a 201."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def real_ids(client: TestClient, tenant: TenantFixture) -> dict[str, str]:
    """Give the tenant one of everything; return the ids by path-parameter name."""
    headers = tenant.treasurer
    entity = create_entity(client, headers, uscc="91110000600037341L")
    debtor = open_account(client, headers, entity["id"])
    creditor = open_account(client, headers, entity["id"], currency="USD")
    capital = open_account(client, headers, entity["id"], kind="capital")
    fund(client, headers, debtor["id"], "1000.00")
    fund(client, headers, capital["id"], "1000.00")
    booked = created(
        post_transfer(
            client, headers, transfer_body(debtor["id"], creditor["id"], "1", fx_rate="1")
        )
    )
    held = created(post_transfer(client, headers, transfer_body(capital["id"], debtor["id"], "1")))
    assert held["status"] == "held", held
    counterparty = created(
        client.post("/v1/counterparties", json={"name": "C", "country": "DE"}, headers=headers)
    )
    lines = client.get(f"/v1/accounts/{debtor['id']}/statement-lines", headers=headers).json()
    return {
        "entity_id": entity["id"],
        "account_id": debtor["id"],
        "counterparty_id": counterparty["id"],
        "transfer_id": booked["id"],
        "entry_id": lines["items"][0]["journal_entry_id"],
        "review_id": held["review_id"],
        "pair": "USDCNY",
    }


def fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], share: int = 1, **pinned: Any
) -> str:
    """Run one operation's bounded fuzz; return the failure report, or "" when it held."""
    examples = max(2, (PINNED_EXAMPLES if pinned else MAX_EXAMPLES[mode]) // share)

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=pinned or None))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        # No shrinking: the failing example as drawn is the report. Shrinking a body drawn from a
        # pattern once took 9 GB and over ten minutes, in Hypothesis' explain phase.
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=REQUEST_TIMEOUT_SECONDS)
        except requests.Timeout as error:
            waited = f"no answer within {REQUEST_TIMEOUT_SECONDS} s"
            raise AssertionError(f"{waited}; {stacks()}") from error

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid: GET /healthz takes no input
        assert mode is GenerationMode.NEGATIVE, operation.label
    except (Exception, FailureGroup) as error:  # every operation runs; failures reported together
        return f"{operation.label} ({mode.value}{', real ids' if pinned else ''}): {told(error)}"
    return ""


# The fuzz checks the contract, not speed (the benchmarks measure that): a request gets a minute.
# Twice in full runs on PostgreSQL an admin's request took over schemathesis' default 10 s, and
# never alone; the threads' stacks at the timeout say where such a request waits.
REQUEST_TIMEOUT_SECONDS = 60


def stacks() -> str:
    """Where every other thread of this process is (the app's request runs in one of them)."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    current = threading.get_ident()
    return "threads:\n" + "\n".join(
        f"--- {names.get(ident, ident)}\n" + "".join(traceback.format_stack(frame, limit=12))
        for ident, frame in sys._current_frames().items()
        if ident != current
    )


def told(error: BaseException) -> str:
    """An error and, for a group (Hypothesis' FlakyFailure among them), what each member said.

    A flaky failure's own message names only how many failures it holds; the first call's answer
    is what explains it.
    """
    if not isinstance(error, BaseExceptionGroup):
        return f"{type(error).__name__}: {error}"
    members = "\n".join(f"  - {told(member)}" for member in error.exceptions)
    return f"{type(error).__name__}: {error}\n{members}"


@pytest.mark.parametrize(
    "role", ["treasurer", "admin", "compliance_officer", "auditor", "operator"]
)
def test_the_api_keeps_its_documented_contract(
    app: FastAPI,
    tenant: TenantFixture,
    real_ids: dict[str, str],
    operator_headers: dict[str, str],
    role: str,
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    results = list(schema.get_all_operations())
    assert [result.err() for result in results if isinstance(result, Err)] == []
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) > 30
    headers = operator_headers if role == "operator" else tenant.headers[Role(role)]
    share = 1 if role == "treasurer" else OTHER_ROLE_SHARE

    failures: list[str] = []
    for operation in operations:
        names = PATH_PARAMETER.findall(operation.path)
        pinned = {name: real_ids[name] for name in names if name in real_ids}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures.append(fuzz(operation, mode, headers, share))
            if pinned:
                failures.append(fuzz(operation, mode, headers, share, **pinned))

    failures = [failure for failure in failures if failure]
    assert failures == [], "\n\n".join(failures)


# Longer than any id we issue (UUIDs, 36 characters): PostgreSQL refuses to store them where
# SQLite would not notice, so a write keyed by a path id before its lookup is a 500 there.
OVERLONG_ID_LENGTHS = (37, 300)


def test_an_id_longer_than_ours_is_never_a_server_error(
    app: FastAPI, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    """Every operation with path ids, each id pinned to an overlong one, by a writer, an officer
    and the operator (a cancellation's key claim stored its id before looking it up)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    callers = (tenant.treasurer, tenant.officer, operator_headers)
    failures: list[str] = []
    for operation in operations:
        names = [name for name in PATH_PARAMETER.findall(operation.path) if name != "pair"]
        for length, headers in ((length, h) for length in OVERLONG_ID_LENGTHS for h in callers):
            if names:
                pinned = dict.fromkeys(names, "0" * length)
                failures.append(fuzz(operation, GenerationMode.POSITIVE, headers, 2, **pinned))
    failures = [failure for failure in failures if failure]
    assert failures == [], "\n\n".join(failures)
