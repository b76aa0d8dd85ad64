"""Centralised current-account collection, payment and netting through a pool's master (issue 12
item 10; regulation.md §1.6, §1.9 rule 15): no quota is used, but both the actual flow and its
restored (还原) per-member records must exist, otherwise the pool's day does not close — its
sweep run for the date is refused with RESTORED_RECORDS_MISSING until they are recorded."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_pool_api import Group, create_pool, make_group, sweep
from tests.support import TenantFixture, create_entity, fund, post_transfer

DAY = "2026-11-26"


def goods(
    client: TestClient, tenant: TenantFixture, debtor: str, creditor: str, amount: str
) -> Any:
    body = {
        "debtor_account_id": debtor,
        "creditor_account_id": creditor,
        "amount": {"amount": amount, "currency": "CNY"},
        "value_date": DAY,
        "purpose": "goods_trade",
        "bop_code": "121010",
        "references": {"customs_declaration": "CD-2026-1126"},
    }
    response = post_transfer(client, tenant.treasurer, body)
    assert response.status_code == 201, response.text
    transfer = response.json()
    assert transfer["status"] == "booked", transfer["findings"]
    return transfer


def restore(
    client: TestClient, tenant: TenantFixture, pool_id: str, transfer_id: str, lines: list[Any]
) -> Any:
    return client.post(
        f"/v1/pools/{pool_id}/restored-records",
        json={"transfer_id": transfer_id, "lines": lines},
        headers=tenant.treasurer,
    )


def line(entity: str, direction: str, amount: str) -> dict[str, Any]:
    return {
        "entity_id": entity,
        "direction": direction,
        "amount": {"amount": amount, "currency": "CNY"},
        "bop_code": "121010",
    }


def quotas_used(client: TestClient, tenant: TenantFixture, pool_id: str) -> dict[str, str]:
    positions = get_json(client, f"/v1/pools/{pool_id}/positions?as_of={DAY}", tenant.treasurer)
    return {q["kind"]: q["used"]["amount"] for q in positions["quotas"]}


def setup(client: TestClient, tenant: TenantFixture) -> tuple[Group, str]:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group)
    assert pool.status_code == 201, pool.text
    fund(client, tenant.treasurer, group.master, "5000.00")
    return group, pool.json()["id"]


def test_a_centralised_payment_needs_its_restored_records_before_the_day_closes(
    client: TestClient, tenant: TenantFixture
) -> None:
    group, pool_id = setup(client, tenant)
    before = quotas_used(client, tenant, pool_id)
    # the master pays the offshore supplier for goods two onshore members imported
    paid = goods(client, tenant, group.master, group.offshore_account, "1000.00")
    (info,) = [f for f in paid["findings"] if f["rule"] == "POOL_CURRENT_ACCOUNT"]
    assert info["severity"] == "info"
    assert quotas_used(client, tenant, pool_id) == before  # no quota is used

    blocked = assert_problem(sweep(client, tenant, pool_id, DAY), 422, "RESTORED_RECORDS_MISSING")
    assert paid["id"] in blocked["detail"]
    positions = f"/v1/pools/{pool_id}/positions?as_of={DAY}"
    (alert,) = get_json(client, positions, tenant.treasurer)["alerts"]  # seen before the run
    assert "rule 15" in alert
    assert paid["id"] in alert

    onshore, host = group.onshore["id"], group.host["id"]
    short = restore(
        client,
        tenant,
        pool_id,
        paid["id"],
        [line(onshore, "payment", "600.00"), line(host, "payment", "399.99")],
    )
    assert "net to 999.99" in assert_problem(short, 422, "RESTORATION_MISMATCH")["detail"]
    stranger = create_entity(client, tenant.treasurer)["id"]
    outside = restore(client, tenant, pool_id, paid["id"], [line(stranger, "payment", "1000.00")])
    assert "not a member" in assert_problem(outside, 422, "RESTORATION_MISMATCH")["detail"]

    lines = [line(onshore, "payment", "600.00"), line(host, "payment", "400.00")]
    recorded = restore(client, tenant, pool_id, paid["id"], lines)
    assert recorded.status_code == 201, recorded.text
    assert [x["amount"]["amount"] for x in recorded.json()["lines"]] == ["600.00", "400.00"]
    assert_problem(restore(client, tenant, pool_id, paid["id"], lines), 409, "CONFLICT")
    listed = get_json(
        client, f"/v1/pools/{pool_id}/restored-records?transfer_id={paid['id']}", tenant.auditor
    )
    assert listed["total"] == 1

    assert get_json(client, positions, tenant.treasurer)["alerts"] == []
    closed = sweep(client, tenant, pool_id, DAY)
    assert closed.status_code == 201, closed.text


def test_a_net_settlement_is_restored_to_its_gross_legs(
    client: TestClient, tenant: TenantFixture
) -> None:
    group, pool_id = setup(client, tenant)
    fund(client, tenant.treasurer, group.offshore_account, "1000.00")
    # the offshore member settles net 300.00 into the master: it owes the onshore member 500.00
    # for goods and is owed 200.00 by the host
    net = goods(client, tenant, group.offshore_account, group.master, "300.00")
    assert_problem(sweep(client, tenant, pool_id, DAY), 422, "RESTORED_RECORDS_MISSING")
    gross = [
        line(group.onshore["id"], "receipt", "500.00"),
        line(group.host["id"], "payment", "200.00"),
    ]
    assert restore(client, tenant, pool_id, net["id"], gross).status_code == 201

    run = sweep(client, tenant, pool_id, DAY)
    assert run.status_code == 201, run.text


def test_only_a_current_account_flow_through_the_master_is_restored(
    client: TestClient, tenant: TenantFixture
) -> None:
    group, pool_id = setup(client, tenant)
    fund(client, tenant.treasurer, group.onshore_account, "100.00")
    own = goods(client, tenant, group.onshore_account, group.offshore_account, "100.00")
    assert [f for f in own["findings"] if f["rule"] == "POOL_CURRENT_ACCOUNT"] == []
    refused = restore(
        client, tenant, pool_id, own["id"], [line(group.onshore["id"], "payment", "100.00")]
    )
    assert (
        "not a centralised current-account flow"
        in assert_problem(refused, 422, "RESTORATION_MISMATCH")["detail"]
    )
    assert sweep(client, tenant, pool_id, DAY).status_code == 201  # nothing to restore
