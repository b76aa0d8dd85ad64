"""Regulatory reports (issue 12 item 13; DESIGN §4.4): a filing's quota usage by month and an
entity's cross-border financing position, as JSON and CSV, with the parameter versions and
reference rates used — on the worked examples of regulation.md §1.8 and §2.7."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_pool_filing_quotas import FILING, create_pool, make_filing, pool_body, sweep
from tests.support import TenantFixture, create_entity, fund
from treasury.clock import FixedClock


def rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_filings_quota_usage_by_month(
    client: TestClient,
    tenant: TenantFixture,
    operator_headers: dict[str, str],
    clock: FixedClock,
) -> None:
    clock.instant = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    rate = {"date": "2026-11-02", "pair": "USDCNY", "rate": "7.5", "source": "test"}
    assert (
        client.post("/v1/reference-rates", json=rate, headers=operator_headers).status_code == 201
    )
    filing = make_filing(client, tenant, operator_headers)
    headers = tenant.treasurer
    pools = {}
    for currency in ("CNY", "USD"):
        fund(client, headers, filing.accounts[("master", currency)], "100000.00", "2026-11-01")
        pools[currency] = create_pool(client, tenant, pool_body(filing, currency)).json()["id"]
    fund(client, headers, filing.accounts[("offshore", "CNY")], "-10000.00", "2026-11-02")
    fund(client, headers, filing.accounts[("offshore", "USD")], "-800.00", "2026-11-02")
    for currency in ("CNY", "USD"):
        (leg,) = sweep(client, tenant, pools[currency], "2026-11-02")["legs"]
        assert leg["status"] == "booked", leg["reason"]
    clock.instant = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    path = f"/v1/reports/pool-quotas?filing_ref={FILING}&month=2026-11"
    report = get_json(client, path, tenant.officer)
    assert (report["filing_ref"], report["regime"], report["month"]) == (
        FILING,
        "integrated_251",
        "2026-11",
    )
    assert {pool["currency"] for pool in report["pools"]} == {"CNY", "USD"}
    assert len(report["items"]) == 25 * 2  # 2 to 26 November, two quotas each
    by_day = {(item["date"], item["kind"]): item for item in report["items"]}
    # §1.8: quota 24,800; RMB loans 10,000 and USD loans worth 6,000 → 19,000 used
    assert by_day[("2026-11-02", "outbound_lending")] | {"parameters": None} == {
        "date": "2026-11-02",
        "kind": "outbound_lending",
        "limit": "24800.00",
        "used": "19000.00",
        "headroom": "5800.00",
        "parameters": None,
    }
    assert all(float(item["used"]) <= float(item["limit"]) for item in report["items"])
    names = {(p["name"], p["effective_from"], p["version"]) for p in report["parameters"]}
    assert ("pool251.ol_coeff", "2025-12-26", 1) in names
    assert ("cbf.fx_factor", "2017-01-13", 1) in names
    assert {"pair": "USDCNY", "date": "2026-11-02", "rate": "7.5"} in report["rates"]
    assert (
        "pool251.ol_coeff=0.8@2025-12-26#1" in by_day[("2026-11-02", "foreign_debt")]["parameters"]
    )

    as_csv = rows(client.get(path, headers={**tenant.auditor, "Accept": "text/csv"}))
    assert len(as_csv) == 50
    first = as_csv[0]
    assert set(first) == {"date", "kind", "limit", "used", "headroom", "parameters"}
    assert (first["date"], first["used"]) == (
        "2026-11-02",
        by_day[("2026-11-02", first["kind"])]["used"],
    )
    assert "pool251.ol_leverage=1@2025-12-26#1" in first["parameters"]


def test_a_pool_quota_report_needs_a_known_filing_and_a_past_month(
    client: TestClient, tenant: TenantFixture
) -> None:
    unknown = client.get(
        "/v1/reports/pool-quotas?filing_ref=NOPE&month=2026-11", headers=tenant.officer
    )
    assert_problem(unknown, 404, "NOT_FOUND")
    malformed = client.get(
        "/v1/reports/pool-quotas?filing_ref=NOPE&month=2026-1", headers=tenant.officer
    )
    assert_problem(malformed, 422, "VALIDATION_ERROR")


def test_the_cross_border_financing_position_of_worked_example_1(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    day = "2026-11-23"
    rate = {"date": day, "pair": "USDCNY", "rate": "7.1", "source": "test"}
    assert (
        client.post("/v1/reference-rates", json=rate, headers=operator_headers).status_code == 201
    )
    headers = tenant.treasurer
    entity = create_entity(
        client, headers, net_assets={"amount": "500000000.00", "currency": "CNY"}
    )
    for amount, currency, maturity in (
        ("50000000.00", "USD", "2029-11-23"),  # CNY 355m for three years: 532.5m
        ("400000000.00", "CNY", "2027-05-23"),  # six months: 600m
    ):
        body = {
            "lender": "HSBC Hong Kong",
            "currency": currency,
            "amount": amount,
            "drawdown_date": day,
            "maturity_date": maturity,
        }
        response = client.post(
            f"/v1/entities/{entity['id']}/foreign-debts", json=body, headers=headers
        )
        assert response.status_code == 201, response.text

    path = f"/v1/reports/cross-border-financing?entity_id={entity['id']}&as_of={day}"
    report = get_json(client, path, tenant.officer)
    assert (report["cap"], report["used"], report["headroom"]) == (
        "1750000000.00",
        "1132500000.00",
        "617500000.00",
    )
    contracts = {item["currency"]: item for item in report["items"]}
    assert (
        contracts["USD"]["outstanding_cny"],
        contracts["USD"]["short_term"],
        contracts["USD"]["weight"],
        contracts["USD"]["risk_weighted"],
    ) == ("355000000.00", False, "1.5", "532500000.00")
    assert (contracts["CNY"]["weight"], contracts["CNY"]["risk_weighted"]) == (
        "1.5",
        "600000000.00",
    )
    versions = {(p["name"], p["effective_from"]): p["value"] for p in report["parameters"]}
    assert versions[("cbf.mu", "2025-01-13")] == "1.75"
    assert versions[("cbf.short_term_years", "2017-01-13")] == "1"
    assert {"pair": "USDCNY", "date": day, "rate": "7.1"} in report["rates"]

    as_csv = rows(client.get(path, headers={**tenant.auditor, "Accept": "text/csv"}))
    assert [row["contract_id"] for row in as_csv][-1] == "TOTAL"
    assert len(as_csv) == 3
    total = as_csv[-1]
    assert (total["cap"], total["used"], total["headroom"]) == (
        "1750000000.00",
        "1132500000.00",
        "617500000.00",
    )
    assert 'cbf.mu="1.75"@2025-01-13#1' in total["parameters"]
