"""BOP code tables over HTTP (DESIGN §4.2): the operator writes `/v1/bop-codes`, tenants read.

BOP tables are system-wide and the PostgreSQL test database is shared, so each test loads its
table from a random far-future day (year 2200 on): no transfer of the test clock's 2026 is
screened against it.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture

Json = dict[str, Any]


@pytest.fixture
def day() -> date:
    """A day nobody else loads a BOP table on."""
    return date(2200, 1, 1) + timedelta(days=random.SystemRandom().randrange(2_000_000))


def table(day: date, *codes: str) -> Json:
    """A BOP table body holding these codes."""
    return {
        "version": f"test-{uuid.uuid4().hex[:16]}",
        "effective_from": day.isoformat(),
        "source": "SAFE 涉外收支交易分类与代码 (test)",
        "codes": [
            {"code": code, "name_zh": "货物贸易", "name_en": "goods trade", "directions": "both"}
            for code in codes
        ],
    }


def test_the_operator_loads_a_bop_table_that_tenants_read_from_its_date(
    client: TestClient, operator_headers: dict[str, str], tenant: TenantFixture, day: date
) -> None:
    first = table(day, "121010", "122010")
    response = client.post("/v1/bop-codes", json=first, headers=operator_headers)
    assert response.status_code == 201, response.text
    assert response.json()["count"] == 2

    later = table(day + timedelta(days=5), "121010")
    assert client.post("/v1/bop-codes", json=later, headers=operator_headers).status_code == 201

    on_day = get_json(client, f"/v1/bop-codes?as_of={day}", tenant.auditor)
    assert on_day["version"] == first["version"]
    assert [item["code"] for item in on_day["items"]] == ["121010", "122010"]
    after = get_json(client, f"/v1/bop-codes?as_of={day + timedelta(days=9)}", tenant.treasurer)
    assert (after["version"], [item["code"] for item in after["items"]]) == (
        later["version"],
        ["121010"],
    )


@pytest.mark.parametrize("role", ["admin", "treasurer", "compliance_officer", "auditor"])
def test_only_the_operator_writes_bop_codes(
    client: TestClient, tenant: TenantFixture, day: date, role: str
) -> None:
    headers = {
        "admin": tenant.admin,
        "treasurer": tenant.treasurer,
        "compliance_officer": tenant.officer,
        "auditor": tenant.auditor,
    }[role]
    response = client.post("/v1/bop-codes", json=table(day, "121010"), headers=headers)
    assert_problem(response, 403, "FORBIDDEN")
    assert client.post("/v1/bop-codes", json=table(day, "121010")).status_code == 401


def test_a_version_is_loaded_once_and_bad_codes_are_refused(
    client: TestClient, operator_headers: dict[str, str], day: date
) -> None:
    body = table(day, "121010")
    assert client.post("/v1/bop-codes", json=body, headers=operator_headers).status_code == 201
    again = client.post("/v1/bop-codes", json=body, headers=operator_headers)
    assert_problem(again, 409, "CONFLICT")

    for bad in (table(day, "12101"), table(day, "121010", "121010"), table(day)):
        response = client.post("/v1/bop-codes", json=bad, headers=operator_headers)
        assert_problem(response, 422, "VALIDATION_ERROR")
