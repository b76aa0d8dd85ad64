"""The group view and the liquidity ladder over HTTP (DESIGN §4.4, issue 13), on both backends.

Positions add up to the accounts' own balances in every grouping; available is balance − held;
CNY equivalents use the reference rate of the day with its date, a rate older than the limit is
listed as stale and a currency without one is left out of the total and said so; the ladder's
closing is the next day's opening; another tenant's accounts never show.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import FundedAccounts, assert_problem, get_json
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)

AS_OF = "2026-11-26"
JPY_RATE = Decimal("0.047312")


def add_rate(client: TestClient, operator: dict[str, str], pair: str, day: str, rate: str) -> None:
    body = {"pair": pair, "date": day, "rate": rate, "source": "test"}
    response = client.post("/v1/reference-rates", json=body, headers=operator)
    assert response.status_code == 201, response.text


def positions(client: TestClient, headers: dict[str, str], query: str = "") -> Any:
    return get_json(client, f"/v1/cash-positions?as_of={AS_OF}{query}", headers)


def held_transfer(client: TestClient, tenant: TenantFixture, entity_id: str, **fields: Any) -> Any:
    """12,000 CNY out of a funded capital account for `other`: held for review."""
    capital = open_account(client, tenant.treasurer, entity_id, kind="capital")
    current = open_account(client, tenant.treasurer, entity_id)
    fund(client, tenant.treasurer, capital["id"], "50000.00")
    body = transfer_body(capital["id"], current["id"], "12000.00", **fields)
    response = post_transfer(client, tenant.treasurer, body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "held"
    return response.json()


@pytest.fixture
def rates(client: TestClient, operator_headers: dict[str, str]) -> None:
    add_rate(client, operator_headers, "USDCNY", AS_OF, "7.1025")
    add_rate(client, operator_headers, "JPYCNY", AS_OF, str(JPY_RATE))


def test_positions_add_up_to_the_account_balances_in_every_grouping(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts, rates: None
) -> None:
    fund(client, tenant.treasurer, books.usd["id"], "2500.50")
    transfer = held_transfer(client, tenant, books.entity["id"])
    accounts = get_json(client, "/v1/accounts", tenant.treasurer)["items"]
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for account in accounts:
        shown = balance(client, tenant.treasurer, account["id"], AS_OF)
        expected[account["currency"]] += Decimal(shown["balance"])

    totals = set()
    for group_by in ("entity", "currency", "bank", "country"):
        view = positions(client, tenant.treasurer, f"&group_by={group_by}")
        assert view["group_by"] == group_by
        found: dict[str, Decimal] = defaultdict(Decimal)
        for group in view["groups"]:
            amount = Decimal(group["balance"]["amount"])
            found[group["currency"]] += amount
            held = Decimal(group["held"]["amount"])
            assert Decimal(group["available"]["amount"]) == amount - held
        assert dict(found) == dict(expected), group_by
        assert sum(g["accounts"] for g in view["groups"]) == len(accounts)
        totals.add(view["total_cny"]["amount"])
    assert len(totals) == 1  # the total does not depend on the grouping

    by_currency = {g["currency"]: g for g in positions(client, tenant.treasurer)["groups"]}
    assert by_currency["CNY"]["held"]["amount"] == "12000.00"
    assert transfer["status"] == "held"
    usd = by_currency["USD"]
    usd_rate = Decimal(
        next(r for r in positions(client, tenant.treasurer)["rates"] if r["currency"] == "USD")[
            "rate"
        ]
    )
    assert usd["rate_date"] == AS_OF
    assert Decimal(usd["cny_equivalent"]["amount"]) == (Decimal("2500.50") * usd_rate).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )
    jpy = by_currency["JPY"]
    assert Decimal(jpy["cny_equivalent"]["amount"]) == (expected["JPY"] * JPY_RATE).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )
    total = (
        expected["CNY"]
        + Decimal(usd["cny_equivalent"]["amount"])
        + Decimal(jpy["cny_equivalent"]["amount"])
    )
    assert Decimal(totals.pop()) == total


def test_a_stale_rate_is_listed_and_a_missing_one_left_out_of_the_total(
    client: TestClient, tenant: TenantFixture, operator_headers: dict[str, str]
) -> None:
    add_rate(client, operator_headers, "EURCNY", "2026-11-02", "7.8")
    entity = create_entity(client, tenant.treasurer)
    eur = open_account(client, tenant.treasurer, entity["id"], currency="EUR")
    chf = open_account(client, tenant.treasurer, entity["id"], currency="CHF")
    cny = open_account(client, tenant.treasurer, entity["id"])
    for account, amount in ((eur, "100.00"), (chf, "50.00"), (cny, "10.00")):
        fund(client, tenant.treasurer, account["id"], amount)

    view = positions(client, tenant.treasurer, "&group_by=currency")

    assert "EURCNY" in view["stale_rates"]
    eur_group = next(g for g in view["groups"] if g["currency"] == "EUR")
    assert eur_group["rate_date"] == "2026-11-02"
    assert eur_group["cny_equivalent"]["amount"] == "780.00"
    chf_group = next(g for g in view["groups"] if g["currency"] == "CHF")
    assert chf_group["cny_equivalent"] is None
    assert view["missing_rates"] == ["CHF"]
    assert view["total_cny"] == {"amount": "790.00", "currency": "CNY"}
    assert view["rate_max_age_business_days"] == 1


def test_unknown_grouping_or_parameter_is_422(client: TestClient, tenant: TenantFixture) -> None:
    assert_problem(
        client.get("/v1/cash-positions?group_by=desk", headers=tenant.treasurer),
        422,
        "VALIDATION_ERROR",
    )
    response = client.get("/v1/cash-positions?groupby=entity", headers=tenant.treasurer)
    assert response.status_code == 422
    response = client.get("/v1/liquidity-ladder?days=93", headers=tenant.treasurer)
    assert response.status_code == 422
    response = client.get("/v1/liquidity-ladder?days=0", headers=tenant.treasurer)
    assert response.status_code == 422


def test_positions_as_csv(client: TestClient, tenant: TenantFixture, books: FundedAccounts) -> None:
    as_json = positions(client, tenant.treasurer, "&group_by=entity")
    for response in (
        client.get(
            f"/v1/cash-positions?as_of={AS_OF}&group_by=entity&format=csv", headers=tenant.treasurer
        ),
        client.get(
            f"/v1/cash-positions?as_of={AS_OF}&group_by=entity",
            headers={**tenant.treasurer, "Accept": "text/csv"},
        ),
    ):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [(r["key"], r["currency"], r["balance"]) for r in rows] == [
            (g["key"], g["currency"], g["balance"]["amount"]) for g in as_json["groups"]
        ]


def test_roles_and_tenants(
    client: TestClient,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    books: FundedAccounts,
    operator_headers: dict[str, str],
) -> None:
    assert positions(client, tenant.auditor)["groups"]
    assert positions(client, tenant.officer)["groups"]
    for path in ("/v1/cash-positions", "/v1/liquidity-ladder"):
        assert_problem(client.get(path, headers=operator_headers), 403, "FORBIDDEN")
        assert_problem(client.get(path), 401, "UNAUTHENTICATED")

    theirs = positions(client, other_tenant.treasurer, "&group_by=entity")
    assert theirs["groups"] == []
    assert theirs["total_cny"]["amount"] == "0.00"
    ladder = get_json(client, f"/v1/liquidity-ladder?from={AS_OF}", other_tenant.treasurer)
    assert ladder["rows"] == []


def test_the_ladder_rolls_each_closing_into_the_next_opening(
    client: TestClient, tenant: TenantFixture, books: FundedAccounts
) -> None:
    fund(client, tenant.treasurer, books.cny["id"], "300.00", value_date="2026-11-30")
    held_transfer(client, tenant, books.entity["id"], value_date="2026-11-28")
    booked = post_transfer(
        client,
        tenant.treasurer,
        transfer_body(books.cny["id"], books.cny_other["id"], "100.00", value_date="2026-11-27"),
    )
    assert booked.status_code == 201, booked.text

    ladder = get_json(client, "/v1/liquidity-ladder?from=2026-11-26&days=7", tenant.treasurer)

    assert (ladder["from"], ladder["to"], ladder["days"]) == ("2026-11-26", "2026-12-02", 7)
    rows: dict[str, list[Any]] = defaultdict(list)
    for row in ladder["rows"]:
        rows[row["currency"]].append(row)
    for currency, days in rows.items():
        assert len(days) == 7, currency
        for day, following in itertools.pairwise(days):
            assert following["opening"] == day["closing"], (currency, day["date"])
        for day in days:
            closing = Decimal(day["opening"]) + Decimal(day["inflows"]) - Decimal(day["outflows"])
            assert Decimal(day["closing"]) == closing
    cny = {row["date"]: row for row in rows["CNY"]}
    opening = Decimal(cny["2026-11-26"]["opening"])
    accounts = get_json(client, "/v1/accounts", tenant.treasurer)["items"]
    assert opening == sum(
        Decimal(balance(client, tenant.treasurer, a["id"], "2026-11-25")["balance"])
        for a in accounts
        if a["currency"] == "CNY"
    )
    held_day = cny["2026-11-28"]
    assert (held_day["inflows"], held_day["outflows"]) == ("12000.00", "12000.00")
    assert {s["source"] for s in held_day["sources"]} == {"held"}
    assert (cny["2026-11-27"]["inflows"], cny["2026-11-27"]["outflows"]) == ("100.00", "100.00")
    assert cny["2026-11-30"]["inflows"] == "300.00"
    assert cny["2026-11-28"]["business_day"] is False  # a Saturday
    assert cny["2026-11-27"]["business_day"] is True
    last = Decimal(cny["2026-12-02"]["closing"])
    assert last == opening + Decimal("300.00")


def test_hedge_mtm_alongside_and_its_settlement_on_the_ladder(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = tenant.treasurer
    entity = create_entity(client, headers)
    open_account(client, headers, entity["id"])  # CNY only: the forward settles net
    exposure = client.post(
        "/v1/exposures",
        json={
            "entity_id": entity["id"],
            "pair": "USDCNY",
            "direction": "receive",
            "amount": {"amount": "1000000.00", "currency": "USD"},
            "expected_date": "2026-12-03",
        },
        headers=headers,
    )
    assert exposure.status_code == 201, exposure.text
    hedge = client.post(
        "/v1/hedges",
        json={
            "entity_id": entity["id"],
            "exposure_id": exposure.json()["id"],
            "trade_date": AS_OF,
            "instrument": {
                "type": "forward",
                "pair": "USDCNY",
                "direction": "sell",
                "notional": {"amount": "1000000.00", "currency": "USD"},
                "strike": "7.2000",
                "delivery_date": "2026-12-03",
            },
        },
        headers=headers,
    )
    assert hedge.status_code == 201, hedge.text
    snapshot = {
        "as_of": AS_OF,
        "spots": {"USDCNY": "7.0850"},
        "curves": {
            "USD": [{"tenor": "1M", "rate": "0.0410"}, {"tenor": "1Y", "rate": "0.0390"}],
            "CNY": [{"tenor": "1M", "rate": "0.0160"}, {"tenor": "1Y", "rate": "0.0150"}],
        },
        "swap_points": {"USDCNY": [{"tenor": "1M", "points": "-0.0160"}]},
        "vols": {"USDCNY": [{"tenor": "1M", "atm": "0.045", "rr25": "0.004", "bf25": "0.002"}]},
    }
    posted = client.post("/v1/market-data/snapshots", json=snapshot, headers=headers)
    assert posted.status_code == 201, posted.text
    run = client.post("/v1/hedges/revaluations", json={"as_of": AS_OF}, headers=headers)
    assert run.status_code == 201, run.text
    npv = run.json()["npv_total"]
    assert Decimal(npv["amount"]) > 0  # selling USD at 7.20 against ~7.08: worth something

    view = positions(client, headers)
    assert [(h["pair"], h["hedges"], h["valued"], h["mtm"]) for h in view["hedges"]] == [
        ("USDCNY", 1, 1, npv)
    ]
    assert view["hedge_mtm_cny"] == npv
    assert view["hedges"][0]["latest_valuation"] == AS_OF

    ladder = get_json(client, f"/v1/liquidity-ladder?from={AS_OF}", headers)
    assert ladder["days"] == 14
    settling = next(r for r in ladder["rows"] if r["date"] == "2026-12-03")
    assert settling["currency"] == npv["currency"]
    assert settling["sources"] == [
        {"source": "hedge_settlement", "inflows": npv["amount"], "outflows": "0.00"}
    ]


def test_pool_headroom_alongside_and_the_next_sweep_on_the_ladder(
    client: TestClient, tenant: TenantFixture
) -> None:
    from tests.api.test_pool_api import make_group, pool_body

    group = make_group(client, tenant)
    created = client.post("/v1/pools", json=pool_body(group), headers=tenant.treasurer)
    assert created.status_code == 201, created.text
    pool = created.json()
    fund(client, tenant.treasurer, group.host_account, "1000.00")

    view = positions(client, tenant.treasurer)
    own = get_json(client, f"/v1/pools/{pool['id']}/positions?as_of={AS_OF}", tenant.treasurer)
    assert [p["pool_id"] for p in view["pools"]] == [pool["id"]]
    shown = view["pools"][0]
    assert shown["members"] == 3
    assert [q["headroom"] for q in shown["quotas"]] == [q["headroom"] for q in own["quotas"]]
    assert shown["quotas"], "a 251 pool has quotas"

    forecast = get_json(
        client, f"/v1/pools/{pool['id']}/sweep-forecast?business_date={AS_OF}", tenant.treasurer
    )
    moved = sum(Decimal(leg["amount"]["amount"]) for leg in forecast["legs"])
    assert moved == Decimal("1000.00")
    ladder = get_json(client, f"/v1/liquidity-ladder?from={AS_OF}&days=3", tenant.treasurer)
    today_row = next(r for r in ladder["rows"] if r["date"] == AS_OF and r["currency"] == "CNY")
    sweep = next(s for s in today_row["sources"] if s["source"] == "sweep_forecast")
    assert (sweep["inflows"], sweep["outflows"]) == ("1000.00", "1000.00")
