"""`GET /v1/hedge-accounting`: a designated forward's fair-value change split into its effective
and ineffective parts, the reserve recycled when it is closed out, as JSON and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_hedging_api import exporter, forward_hedge, post_snapshot, snapshot
from tests.support import TenantFixture
from treasury.clock import FixedClock


def on(clock: FixedClock, day: str) -> None:
    clock.instant = datetime.combine(date.fromisoformat(day), time(2), tzinfo=UTC)


def lesser_of(hedge: Decimal, item: Decimal) -> Decimal:
    """IFRS 9 §6.5.11, by hand: the smaller of two offsetting changes, with the hedge's sign."""
    if hedge * item >= 0:
        return Decimal(0)
    return hedge if abs(hedge) <= abs(item) else -item


def test_a_closed_out_cash_flow_hedge_is_split_and_recycled(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    post_snapshot(client, headers, snapshot("2026-11-26", "7.0850"))
    body = forward_hedge(entity, exposure, "1000000.00", designation="cash_flow")
    body["instrument"]["delivery_date"] = "2027-04-26"  # a month before the receipt: not a mirror
    hedge = client.post("/v1/hedges", json=body, headers=headers).json()
    assert (
        client.post(
            "/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers
        ).status_code
        == 201
    )
    on(clock, "2026-11-27")
    post_snapshot(client, headers, snapshot("2026-11-27", "7.1850"))  # USD up 0.10
    closed = client.post(
        f"/v1/hedges/{hedge['id']}/close",
        json={"date": "2026-11-27", "change_of_underlying_ref": "AMEND-EX-1"},
        headers=headers,
    )
    assert closed.status_code == 200, closed.text
    assert (
        client.post(
            "/v1/hedges/revaluations", json={"as_of": "2026-11-27"}, headers=headers
        ).status_code
        == 201
    )
    history = get_json(client, f"/v1/hedges/{hedge['id']}/effectiveness", headers)["history"]
    day_one = Decimal(history[0]["hedge"]["amount"])
    item_one = Decimal(history[0]["hedged_item"]["amount"])
    settled = Decimal(
        get_json(client, f"/v1/hedges/{hedge['id']}/valuation?as_of=2026-11-27", headers)["npv"][
            "amount"
        ]
    )

    path = f"/v1/hedge-accounting?entity_id={entity['id']}&from=2026-11-27&to=2026-11-27"
    report = get_json(client, path, tenant.auditor)
    as_csv = client.get(path, headers={**tenant.auditor, "Accept": "text/csv"})

    [line] = report["items"]
    assert line["hedge_id"] == hedge["id"]
    assert line["status"] == "closed"
    assert Decimal(line["opening_value"]) == day_one
    assert Decimal(line["settled"]) == settled
    assert Decimal(line["fair_value_change"]) == settled - day_one
    recycled = lesser_of(settled, item_one)  # the item's last value: the day before
    assert Decimal(line["recycled"]) == recycled
    assert Decimal(line["effective"]) == recycled - lesser_of(day_one, item_one)
    assert Decimal(line["effective"]) + Decimal(line["ineffective"]) == settled - day_one
    assert settled < -Decimal("90000")  # the sold USD lost about 0.1 × 1,000,000 discounted
    assert report["totals"]["fair_value_change"] == line["fair_value_change"]
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert row["hedge_id"] == hedge["id"]
    assert row["recycled"] == line["recycled"]
    assert row["dollar_offset"] == (line["dollar_offset"] or "")


def test_an_undesignated_hedge_is_all_profit_or_loss(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    post_snapshot(client, headers, snapshot("2026-11-26", "7.0850"))
    client.post("/v1/hedges", json=forward_hedge(entity, exposure, "500000.00"), headers=headers)
    run = client.post("/v1/hedges/revaluations", json={"as_of": "2026-11-26"}, headers=headers)

    report = get_json(
        client,
        f"/v1/hedge-accounting?entity_id={entity['id']}&from=2026-11-01&to=2026-11-30",
        tenant.auditor,
    )

    [line] = report["items"]
    assert line["fair_value_change"] == run.json()["npv_total"]["amount"]
    assert line["effective"] is None
    assert line["recycled"] is None


def test_the_period_and_the_entity_are_checked(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    entity, _, _ = exporter(client, tenant)

    backwards = client.get(
        f"/v1/hedge-accounting?entity_id={entity['id']}&from=2026-11-30&to=2026-11-01",
        headers=tenant.auditor,
    )
    foreign = client.get(
        f"/v1/hedge-accounting?entity_id={entity['id']}&from=2026-11-01&to=2026-11-30",
        headers=other_tenant.auditor,
    )

    assert_problem(backwards, 422, "VALIDATION_ERROR")
    assert_problem(foreign, 404, "NOT_FOUND")
