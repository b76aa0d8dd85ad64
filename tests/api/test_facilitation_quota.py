"""The cross-border financing facilitation quota (issue 12 item 3; regulation.md §2.6, §2.7
example 2, §2.8 rule 9): a USD quota compared with the USD face amount used against the
certificate, not with the risk-weighted CNY balance; its kind, area and validity decide which
quota applies, with the regional values before 汇发〔2025〕43号."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity

DAY = "2026-11-24"


def set_usd_rate(client: TestClient, operator: dict[str, str], day: str, rate: str) -> None:
    body = {"date": day, "pair": "USDCNY", "rate": rate, "source": "test"}
    response = client.post("/v1/reference-rates", json=body, headers=operator)
    assert response.status_code == 201, response.text


def certified(
    client: TestClient, headers: dict[str, str], net_assets: str, **certificate: Any
) -> str:
    entity = create_entity(
        client,
        headers,
        net_assets={"amount": net_assets, "currency": "CNY"},
        facilitation_certificate={"valid_until": "2030-12-31", **certificate},
    )
    return str(entity["id"])


def draw(
    client: TestClient,
    headers: dict[str, str],
    entity_id: str,
    amount: str,
    currency: str,
    drawdown: str,
    maturity: str,
) -> Any:
    body = {
        "lender": "HSBC Hong Kong",
        "currency": currency,
        "amount": amount,
        "drawdown_date": drawdown,
        "maturity_date": maturity,
    }
    return client.post(f"/v1/entities/{entity_id}/foreign-debts", json=body, headers=headers)


def financing(client: TestClient, headers: dict[str, str], entity_id: str, on: str) -> Any:
    return get_json(client, f"/v1/entities/{entity_id}/cross-border-financing?as_of={on}", headers)


def test_example_2_the_quota_counts_usd_face_amounts_not_the_risk_weighted_balance(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    headers = tenant.treasurer
    set_usd_rate(client, operator_headers, DAY, "7.1")
    entity = certified(client, headers, "10000000.00", kind="tech_sme")
    # a six-month CNY 50m loan weighs 75m, over the macro cap (35m) and over USD 10m × 7.1,
    # but it is USD 7.04m against a USD 10m quota
    first = draw(client, headers, entity, "50000000.00", "CNY", DAY, "2027-05-24")
    assert first.status_code == 201, first.text
    assert first.json()["basis"] == "facilitation"
    status = financing(client, headers, entity, DAY)
    assert status["facilitation"]["quota"] == {"amount": "10000000.00", "currency": "USD"}
    assert status["facilitation"]["used"]["amount"] == "7042253.52"  # 50m / 7.1
    assert status["macro_used"]["amount"] == "75000000.00"
    # 50m / 7.1 = USD 7,042,253.5211…: USD 2,957,746.47 more fits, a cent more does not
    over = draw(client, headers, entity, "2957746.48", "USD", DAY, "2029-11-24")
    detail = assert_problem(over, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")["detail"]
    assert "facilitation quota is USD 10,000,000.00" in detail
    fits = draw(client, headers, entity, "2957746.47", "USD", DAY, "2029-11-24")
    assert fits.status_code == 201, fits.text
    assert financing(client, headers, entity, DAY)["facilitation"]["headroom"]["amount"] == "0.01"


def test_a_draw_within_the_macro_cap_stays_macro_and_an_expired_certificate_is_ordinary(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    headers = tenant.treasurer
    set_usd_rate(client, operator_headers, DAY, "7.1")
    entity = create_entity(
        client,
        headers,
        net_assets={"amount": "10000000.00", "currency": "CNY"},
        facilitation_certificate={"kind": "high_tech", "valid_until": DAY},
    )["id"]
    small = draw(client, headers, entity, "20000000.00", "CNY", DAY, "2027-05-24")  # 30m ≤ 35m
    assert (small.status_code, small.json()["basis"]) == (201, "macro_prudential")
    # the day after the certificate's expiry only the macro cap counts (rule 9)
    late = draw(client, headers, entity, "5000000.00", "CNY", "2026-11-25", "2027-05-25")
    assert_problem(late, 422, "CROSS_BORDER_FINANCING_CAP_EXCEEDED")  # 30 + 7.5 > 35
    status = financing(client, headers, entity, "2026-11-25")
    assert (status["basis"], status["facilitation"]) == ("macro_prudential", None)


def test_innovation_points_firms_get_the_enhanced_quota(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    set_usd_rate(client, operator_headers, DAY, "7.1")
    entity = certified(client, tenant.treasurer, "1.00", kind="high_tech", innovation_points=True)
    quota = financing(client, tenant.treasurer, entity, DAY)["facilitation"]["quota"]
    assert quota["amount"] == "20000000.00"


@pytest.mark.parametrize(
    ("kind", "area", "on", "quota"),
    [
        ("srdi", "tianjin", "2022-05-30", "0.00"),  # before 16号: no SRDI quota
        ("srdi", "tianjin", "2022-05-31", "5000000.00"),  # a new 16号 area
        ("high_tech", "beijing", "2022-05-31", "10000000.00"),  # an earlier pilot area
        ("high_tech", "yunnan", "2023-06-01", "0.00"),  # not a pilot area before 28号
        ("tech_sme", "qingdao", "2023-06-01", "0.00"),  # tech SMEs only from 28号
        ("tech_sme", "qingdao", "2023-12-04", "10000000.00"),  # an earlier pilot area
        ("high_tech", "yunnan", "2023-12-04", "5000000.00"),  # a new area under 28号
        ("high_tech", "yunnan", "2025-09-15", "10000000.00"),  # 43号: one national quota
    ],
)
def test_kind_area_and_date_decide_the_quota(
    client: TestClient,
    tenant: TenantFixture,
    operator_headers: dict[str, str],
    kind: str,
    area: str,
    on: str,
    quota: str,
) -> None:
    set_usd_rate(client, operator_headers, on, "7.0")
    entity = certified(client, tenant.treasurer, "1000000.00", kind=kind, area=area)
    status = financing(client, tenant.treasurer, entity, on)
    assert status["facilitation"]["quota"]["amount"] == quota


def test_a_certified_firm_before_43_hao_keeps_its_ordinary_cap(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    headers = tenant.treasurer
    set_usd_rate(client, operator_headers, "2024-06-03", "7.1")
    entity = certified(client, headers, "1000000.00", kind="tech_sme", area="yunnan")
    status = financing(client, headers, entity, "2024-06-03")
    assert status["macro_cap"]["amount"] == "3000000.00"  # μ 1.5 then
    ordinary = draw(client, headers, entity, "2000000.00", "CNY", "2024-06-03", "2025-06-03")
    assert (ordinary.status_code, ordinary.json()["basis"]) == (201, "macro_prudential")
    # USD 5m quota of a new area: CNY 30m (USD 4.23m) fits it, not the macro cap
    large = draw(client, headers, entity, "30000000.00", "CNY", "2024-06-03", "2027-06-03")
    assert (large.status_code, large.json()["basis"]) == (201, "facilitation")
