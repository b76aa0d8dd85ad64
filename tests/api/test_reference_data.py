"""Reference data over HTTP: versioned rates, the latest on or before a date, parameters in force.

Reference data is system-wide and the PostgreSQL test database is shared, so each test writes on
a random far-future day (year 2200 on): nothing else writes there, and no transfer of the test
clock's 2026 is screened against it.
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
    """A day nobody else writes reference data on."""
    return date(2200, 1, 1) + timedelta(days=random.SystemRandom().randrange(2_000_000))


def post_rate(client: TestClient, headers: dict[str, str], on: date, rate: str) -> Json:
    """POST a USDCNY rate that must be stored."""
    response = client.post(
        "/v1/reference-rates",
        json={"date": on.isoformat(), "pair": "USDCNY", "rate": rate},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def test_a_second_rate_for_a_day_is_a_new_version_that_wins(
    client: TestClient, operator_headers: dict[str, str], tenant: TenantFixture, day: date
) -> None:
    first = post_rate(client, operator_headers, day, "7.1000")
    second = post_rate(client, operator_headers, day, "7.1025")

    assert (first["version"], second["version"]) == (1, 2)
    found = get_json(client, f"/v1/reference-rates/USDCNY/on/{day}", tenant.treasurer)
    assert (found["rate"], found["version"], found["date"]) == (
        "7.1025",
        second["version"],
        str(day),
    )
    history = get_json(
        client, f"/v1/reference-rates?pair=USDCNY&from={day}&to={day}", tenant.auditor
    )["items"]
    assert sorted((item["version"], item["rate"]) for item in history) == [
        (first["version"], "7.1000"),
        (second["version"], "7.1025"),
    ]


def test_the_latest_rate_on_or_before_a_date_applies(
    client: TestClient, operator_headers: dict[str, str], tenant: TenantFixture, day: date
) -> None:
    later = day + timedelta(days=7)
    post_rate(client, operator_headers, day, "7.0500")
    post_rate(client, operator_headers, later, "7.0600")

    def rate_on(on: date) -> str:
        body = get_json(client, f"/v1/reference-rates/USDCNY/on/{on}", tenant.officer)
        rate: str = body["rate"]
        return rate

    assert rate_on(day) == "7.0500"
    assert rate_on(day + timedelta(days=3)) == "7.0500"
    assert rate_on(later - timedelta(days=1)) == "7.0500"
    assert rate_on(later) == "7.0600"
    assert rate_on(later + timedelta(days=30)) == "7.0600"


def test_no_rate_before_any_is_404(client: TestClient, tenant: TenantFixture) -> None:
    response = client.get("/v1/reference-rates/USDCNY/on/1900-01-01", headers=tenant.treasurer)
    assert_problem(response, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"pair": "USDCNY", "rate": 7.1}, "VALIDATION_ERROR"),
        ({"pair": "USDCNY", "rate": "-7.1"}, "VALIDATION_ERROR"),
        ({"pair": "USDCNY", "rate": "0"}, "VALIDATION_ERROR"),
        ({"pair": "USDUSD", "rate": "1"}, "VALIDATION_ERROR"),
        ({"pair": "XYZCNY", "rate": "1"}, "VALIDATION_ERROR"),
        ({"pair": "usdcny", "rate": "7.1"}, "VALIDATION_ERROR"),
    ],
)
def test_bad_rates_are_refused_and_stored_nowhere(
    client: TestClient,
    operator_headers: dict[str, str],
    tenant: TenantFixture,
    day: date,
    body: Json,
    code: str,
) -> None:
    response = client.post(
        "/v1/reference-rates", json={"date": day.isoformat(), **body}, headers=operator_headers
    )

    assert_problem(response, 422, code)
    stored = get_json(client, f"/v1/reference-rates?from={day}&to={day}", tenant.treasurer)
    assert stored["items"] == []


@pytest.mark.parametrize(("as_of", "mu"), [("2024-06-01", "1.5"), ("2025-06-01", "1.75")])
def test_seeded_parameters_are_in_force_by_date(
    client: TestClient, tenant: TenantFixture, as_of: str, mu: str
) -> None:
    body = get_json(client, f"/v1/parameters?name=cbf.mu&as_of={as_of}", tenant.treasurer)

    assert [(item["name"], item["value"]) for item in body["items"]] == [("cbf.mu", mu)]
    assert body["items"][0]["source"]
    assert body["items"][0]["effective_from"] <= as_of


def test_parameter_history_keeps_every_version(client: TestClient, tenant: TenantFixture) -> None:
    history = get_json(client, "/v1/parameters?name=cbf.mu", tenant.auditor)["items"]

    values = {(item["effective_from"], item["value"]) for item in history}
    assert {("2023-07-20", "1.5"), ("2025-01-13", "1.75")} <= values


def test_an_operator_parameter_applies_from_its_date(
    client: TestClient, operator_headers: dict[str, str], tenant: TenantFixture, day: date
) -> None:
    name = f"test.api_{uuid.uuid4().hex[:12]}"
    for effective, value in ((day, "0.5"), (day + timedelta(days=10), {"cap": "0.8", "n": 3})):
        response = client.post(
            "/v1/parameters",
            json={"name": name, "value": value, "effective_from": str(effective), "source": "t"},
            headers=operator_headers,
        )
        assert response.status_code == 201, response.text

    def in_force(on: date) -> list[Any]:
        body = get_json(client, f"/v1/parameters?name={name}&as_of={on}", tenant.treasurer)
        return [item["value"] for item in body["items"]]

    assert in_force(day - timedelta(days=1)) == []
    assert in_force(day + timedelta(days=9)) == ["0.5"]
    assert in_force(day + timedelta(days=10)) == [{"cap": "0.8", "n": 3}]


@pytest.mark.parametrize("value", [0.8, {"cap": 0.8}, [1, 2.5], {"nested": {"rate": 1e-3}}])
def test_a_parameter_value_with_a_json_float_is_refused(
    client: TestClient,
    operator_headers: dict[str, str],
    tenant: TenantFixture,
    day: date,
    value: Any,
) -> None:
    name = f"test.api_{uuid.uuid4().hex[:12]}"
    response = client.post(
        "/v1/parameters",
        json={"name": name, "value": value, "effective_from": str(day), "source": "t"},
        headers=operator_headers,
    )

    assert_problem(response, 422, "VALIDATION_ERROR")
    assert get_json(client, f"/v1/parameters?name={name}", tenant.treasurer)["items"] == []
