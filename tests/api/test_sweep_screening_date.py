"""Sweep legs are screened on the date their money moves (issue 12 item 7, for pools): a run on
Friday 2027-03-12 after the rails' cut-off sends its cross-border legs on Monday 2027-03-15, so a
rule-set version that takes effect on Monday judges them; the same run before the cut-off sends
them on Friday and is judged by Friday's version.

The boundary: the operator narrows `trade_fx_class.review_classes` to class C on the Monday (and
restores it on the Tuesday, so no other date is touched). The offshore member is in class B: on
Friday's rules its leg is held for review, on Monday's it is booked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.api.test_pool_api import create_pool, make_group, sweep
from tests.support import TenantFixture, fund
from treasury.clock import FixedClock

FRIDAY, MONDAY, TUESDAY = "2027-03-12", "2027-03-15", "2027-03-16"


def narrow_review_classes_on_monday(client: TestClient, operator: dict[str, str]) -> None:
    for effective, classes in ((MONDAY, ["C"]), (TUESDAY, ["B", "C"])):
        response = client.post(
            "/v1/parameters",
            json={
                "name": "trade_fx_class.review_classes",
                "value": classes,
                "effective_from": effective,
                "source": "test: a one-day rule-set version (issue 12 item 7, sweep legs)",
            },
            headers=operator,
        )
        assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("instant", "status", "value_date"),
    [
        # 10:00 on Friday in Shanghai: the leg moves on Friday, judged by Friday's classes
        (datetime(2027, 3, 12, 2, 0, tzinfo=UTC), "held", FRIDAY),
        # 17:30 on Friday, past the cut-off: the leg moves on Monday, judged by Monday's
        (datetime(2027, 3, 12, 9, 30, tzinfo=UTC), "booked", MONDAY),
    ],
)
def test_a_sweep_leg_is_screened_on_the_date_its_money_moves(
    client: TestClient,
    tenant: TenantFixture,
    operator_headers: dict[str, str],
    clock: FixedClock,
    instant: datetime,
    status: str,
    value_date: str,
) -> None:
    narrow_review_classes_on_monday(client, operator_headers)
    clock.instant = instant
    group = make_group(client, tenant, offshore_class="B")
    pool = create_pool(client, tenant, group).json()
    fund(client, tenant.treasurer, group.offshore_account, "250.00", value_date="2027-03-01")

    response = sweep(client, tenant, pool["id"], FRIDAY)
    assert response.status_code == 201, response.text
    (leg,) = [leg for leg in response.json()["legs"] if leg["cross_border"]]
    transfer: Any = get_json(client, f"/v1/transfers/{leg['transfer_id']}", tenant.treasurer)
    assert (leg["status"], transfer["status"]) == (status, status), transfer["findings"]
    classes = [f for f in transfer["findings"] if f["rule"] == "TRADE_FX_CLASS"]
    if status == "held":
        assert [f["severity"] for f in classes] == ["review"]
    else:
        assert classes == []
        assert transfer["route"]["value_date"] == value_date
        assert transfer["value_date"] == value_date
