"""Invariant 4 for an early close-out: sent again with its Idempotency-Key it returns the closed
hedge (not a 409 that reads as a failure) and writes nothing; the key with another request →
409 IDEMPOTENCY_KEY_REUSED (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import exporter, forward_hedge
from tests.support import TenantFixture


def test_a_close_sent_again_with_its_key_returns_the_closed_hedge(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity, _, exposure = exporter(client, tenant)
    booked = client.post(
        "/v1/hedges", json=forward_hedge(entity, exposure, "1000.00"), headers=tenant.treasurer
    )
    assert booked.status_code == 201, booked.text
    path = f"/v1/hedges/{booked.json()['id']}/close"
    headers = {**tenant.treasurer, "Idempotency-Key": uuid.uuid4().hex}
    body = {"date": "2026-11-27", "change_of_underlying_ref": "CONTRACT-AMENDMENT-7"}
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    replay = client.post(path, json=body, headers=headers)
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    other = client.post(path, json={**body, "date": "2026-11-30"}, headers=headers)
    assert_problem(other, 409, "IDEMPOTENCY_KEY_REUSED")
    hedge = get_json(client, f"/v1/hedges/{booked.json()['id']}", tenant.auditor)
    assert (hedge["status"], hedge["closed_date"]) == ("closed", "2026-11-27")
    audit = get_json(client, f"/v1/audit-events?object_id={booked.json()['id']}", tenant.auditor)[
        "items"
    ]
    assert [event["action"] for event in audit].count("hedge.closed") == 1
    unkeyed = client.post(path, json=body, headers=tenant.treasurer)
    assert_problem(unkeyed, 409, "CONFLICT")


def test_a_keyed_request_on_an_id_that_is_no_hedge_is_not_found(
    client: TestClient, tenant: TenantFixture
) -> None:
    """Close, premium and receipt claim the key with the hedge's id: an id longer than any of
    ours was a 500 on PostgreSQL (the claim stored it in a 36-character column before the hedge
    was looked up); now, like any unknown id, a 404 that leaves no key behind."""
    bodies = {
        "close": {"date": "2026-11-27", "change_of_underlying_ref": "CONTRACT-AMENDMENT-7"},
        "premium": {},
        "receipt": {},
    }
    for hedge_id in ("0" * 37, str(uuid.uuid4())):
        for action, body in bodies.items():
            headers = {**tenant.treasurer, "Idempotency-Key": uuid.uuid4().hex}
            answer = client.post(f"/v1/hedges/{hedge_id}/{action}", json=body, headers=headers)
            assert_problem(answer, 404, "NOT_FOUND")
