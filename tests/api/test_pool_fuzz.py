"""Schemathesis over the pool and cross-border financing operations: no 5xx, no response that
contradicts the OpenAPI document, with generated ids and with a real pool's ids."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.api.test_openapi_fuzz import PATH_PARAMETER, fuzz
from tests.api.test_pool_api import create_pool, make_group
from tests.support import TenantFixture, fund

MINE = ("/v1/pools", "/foreign-debts", "/cross-border-financing", "/v1/reports")


def _real_ids(client: TestClient, tenant: TenantFixture) -> dict[str, str]:
    group = make_group(client, tenant)
    pool = create_pool(client, tenant, group).json()
    fund(client, tenant.treasurer, group.offshore_account, "100.00")
    debt = client.post(
        f"/v1/entities/{group.host['id']}/foreign-debts",
        json={
            "lender": "L",
            "currency": "CNY",
            "amount": "1.00",
            "drawdown_date": "2026-11-20",
            "maturity_date": "2027-11-20",
            "kind": "trade_credit",
        },
        headers=tenant.treasurer,
    )
    assert debt.status_code == 201, debt.text
    return {
        "pool_id": pool["id"],
        "account_id": group.onshore_account,
        "entity_id": group.host["id"],
        "debt_id": debt.json()["id"],
    }


def test_pool_operations_keep_the_documented_contract(
    app: FastAPI, client: TestClient, tenant: TenantFixture
) -> None:
    real_ids = _real_ids(client, tenant)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations: list[Any] = [
        result.ok()
        for result in schema.get_all_operations()
        if isinstance(result, Ok) and any(part in result.ok().path for part in MINE)
    ]
    assert len(operations) == 19  # with restored records (POST and GET)
    failures: list[str] = []
    for operation in operations:
        names = PATH_PARAMETER.findall(operation.path)
        pinned = {name: real_ids[name] for name in names if name in real_ids}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures.append(fuzz(operation, mode, tenant.treasurer, 1))
            if pinned:
                failures.append(fuzz(operation, mode, tenant.treasurer, 1, **pinned))
    failures = [failure for failure in failures if failure]
    assert failures == [], "\n\n".join(failures)
