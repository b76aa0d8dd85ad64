"""Lists (DESIGN §4.4): every list answers `{items, total, next}` through one mechanism, pages by
an opaque keyset cursor in a stable order, filters for real (a misspelt filter is 422
`UNKNOWN_PARAMETER`, never ignored), and `Accept: text/csv` gives the same rows as CSV, safe to
open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem
from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from tests.support import transfer_body as internal_body

Json = dict[str, Any]
CSV = {"Accept": "text/csv"}
REPORTS = {"/v1/reports/pool-quotas", "/v1/reports/cross-border-financing", "/v1/hedge-accounting"}


def get_operations(app: FastAPI) -> dict[str, Json]:
    """Every GET under /v1 in the OpenAPI document, by path."""
    paths = app.openapi()["paths"]
    return {
        path: item["get"]
        for path, item in paths.items()
        if path.startswith("/v1/") and "get" in item
    }


def page_schema_name(operation: Json) -> str | None:
    """The name of the 200 answer's JSON schema when it is a list (has `items`)."""
    content = operation["responses"]["200"].get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def test_every_list_is_a_page_with_limit_cursor_and_csv(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    lists = {}
    for path, operation in get_operations(app).items():
        name = page_schema_name(operation)
        one_object = path.endswith("}")  # a resource by its id (a payment run has items)
        if name and "items" in schemas[name].get("properties", {}) and not one_object:
            lists[path] = (name, operation)

    assert len(lists) >= 20, sorted(lists)
    for path in REPORTS:  # reports are documents with their own CSV, not pages of rows
        lists.pop(path, None)
    for path, (name, operation) in lists.items():
        assert {"items", "total", "next"} <= set(schemas[name]["properties"]), path
        assert {"limit", "cursor"} <= {p["name"] for p in operation["parameters"]}, path
        assert "text/csv" in operation["responses"]["200"]["content"], path
    assert {"/v1/transfers", "/v1/audit-events", "/v1/journal-entries", "/v1/bop-codes"} <= set(
        lists
    )


def concrete(path: str) -> str:
    """The path with its parameters filled in (an unknown id is fine: 422 comes first)."""
    path = path.replace("{as_of}", "2026-11-26").replace("{on}", "2026-11-26")
    path = path.replace("{pair}", "USDCNY")
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "00000000-0000-0000-0000-000000000000" + path[end + 1 :]
    return path


def test_an_unknown_query_parameter_is_refused_on_every_v1_get_naming_it(
    app: FastAPI, client: TestClient, tenant: TenantFixture
) -> None:
    operations = get_operations(app)
    assert len(operations) >= 30
    for path in operations:
        response = client.get(f"{concrete(path)}?entitiy_id=x", headers=tenant.treasurer)

        body = assert_problem(response, 422, "UNKNOWN_PARAMETER")
        assert body["parameter"] == "entitiy_id", path
        assert "entitiy_id" in body["detail"]


def test_a_known_parameter_is_not_refused(client: TestClient, tenant: TenantFixture) -> None:
    response = client.get("/v1/transfers?status=booked&limit=1", headers=tenant.treasurer)
    assert response.status_code == 200, response.text


def test_offset_is_gone_in_favour_of_the_cursor(client: TestClient, tenant: TenantFixture) -> None:
    response = client.get("/v1/reviews?offset=10", headers=tenant.treasurer)
    assert assert_problem(response, 422, "UNKNOWN_PARAMETER")["parameter"] == "offset"


def transfer(
    client: TestClient, tenant: TenantFixture, debtor: str, creditor: str, **kw: Any
) -> Json:
    response = post_transfer(client, tenant.treasurer, internal_body(debtor, creditor, **kw))
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def two_entities(client: TestClient, tenant: TenantFixture) -> dict[str, Any]:
    """Entity A with two accounts (three transfers between them), entity B with two (two)."""
    headers = tenant.treasurer
    a = create_entity(client, headers)
    b = create_entity(client, headers)
    a1, a2 = (open_account(client, headers, a["id"]) for _ in range(2))
    b1, b2 = (open_account(client, headers, b["id"]) for _ in range(2))
    fund(client, headers, a1["id"], "10000.00")
    fund(client, headers, b1["id"], "10000.00")
    of_a = [transfer(client, tenant, a1["id"], a2["id"], amount=f"{n}00.00") for n in (1, 2, 3)]
    of_b = [transfer(client, tenant, b1["id"], b2["id"], amount=f"{n}0.00") for n in (1, 2)]
    return {"a": a, "b": b, "a1": a1, "of_a": of_a, "of_b": of_b}


def page(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Json:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = dict(response.json())
    assert set(body) >= {"items", "total", "next"}
    return body


def test_transfers_filter_by_entity_which_was_silently_ignored(
    client: TestClient, tenant: TenantFixture, two_entities: dict[str, Any]
) -> None:
    headers = tenant.treasurer

    of_a = page(client, headers, "/v1/transfers", entity_id=two_entities["a"]["id"])
    of_b = page(client, headers, "/v1/transfers", entity_id=two_entities["b"]["id"])

    assert {t["id"] for t in of_a["items"]} == {t["id"] for t in two_entities["of_a"]}
    assert {t["id"] for t in of_b["items"]} == {t["id"] for t in two_entities["of_b"]}
    assert (of_a["total"], of_b["total"]) == (3, 2)
    assert of_a["next"] is None


def test_transfers_of_an_unknown_or_foreign_entity_are_404(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture, two_entities: Json
) -> None:
    foreign = two_entities["a"]["id"]
    response = client.get(f"/v1/transfers?entity_id={foreign}", headers=other_tenant.treasurer)

    assert_problem(response, 404, "NOT_FOUND")


def test_transfers_filter_by_purpose_and_debtor_account(
    client: TestClient, tenant: TenantFixture, two_entities: dict[str, Any]
) -> None:
    headers = tenant.treasurer
    debtor = two_entities["a1"]["id"]

    by_debtor = page(client, headers, "/v1/transfers", debtor_account_id=debtor)
    by_purpose = page(client, headers, "/v1/transfers", purpose="goods_trade")

    assert by_debtor["total"] == 3
    assert all(t["debtor_account_id"] == debtor for t in by_debtor["items"])
    assert (by_purpose["total"], by_purpose["items"]) == (0, [])


def walk(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> list[Json]:
    """Every item, one page of `limit` at a time, following `next`."""
    items: list[Json] = []
    cursor = None
    for _ in range(100):
        body = page(client, headers, path, **params, **({"cursor": cursor} if cursor else {}))
        assert len(body["items"]) <= int(params["limit"])
        items.extend(body["items"])
        cursor = body["next"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def test_pages_walk_every_transfer_once_in_a_stable_order(
    client: TestClient, tenant: TenantFixture, two_entities: dict[str, Any]
) -> None:
    headers = tenant.treasurer
    whole = page(client, headers, "/v1/transfers")

    walked = walk(client, headers, "/v1/transfers", limit=2)

    assert [t["id"] for t in walked] == [t["id"] for t in whole["items"]]
    assert len(walked) == whole["total"] == 5
    stamps = [(t["created_at"], t["id"]) for t in walked]
    assert stamps == sorted(stamps, reverse=True)  # newest first, then by id


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/v1/journal-entries", 3), ("/v1/audit-events", 4), ("/v1/accounts", 1)],
)
def test_database_and_in_memory_lists_page_alike(
    client: TestClient, tenant: TenantFixture, two_entities: dict[str, Any], path: str, limit: int
) -> None:
    headers = tenant.treasurer if "audit" not in path else tenant.auditor
    whole = page(client, headers, path)

    walked = walk(client, headers, path, limit=limit)

    assert [item["id"] for item in walked] == [item["id"] for item in whole["items"]]
    assert len(walked) == whole["total"] > limit


def test_a_cursor_not_handed_out_is_a_validation_error(
    client: TestClient, tenant: TenantFixture
) -> None:
    for cursor in ("not-a-cursor", "WyJ4Il0", "e30"):
        response = client.get(f"/v1/transfers?cursor={cursor}", headers=tenant.treasurer)
        assert_problem(response, 422, "VALIDATION_ERROR")


def test_limit_is_bounded(client: TestClient, tenant: TenantFixture) -> None:
    for limit in ("0", "5001", "-1"):
        response = client.get(f"/v1/transfers?limit={limit}", headers=tenant.treasurer)
        assert_problem(response, 422, "VALIDATION_ERROR")


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_gives_the_same_rows_with_decimals_as_text(
    client: TestClient, tenant: TenantFixture, two_entities: dict[str, Any]
) -> None:
    headers = tenant.treasurer
    params = {"entity_id": two_entities["a"]["id"], "limit": 2}
    as_json = page(client, headers, "/v1/transfers", **params)

    response = client.get("/v1/transfers", params=params, headers={**headers, **CSV})
    rows = csv_rows(response)

    assert [row["id"] for row in rows] == [item["id"] for item in as_json["items"]]
    assert [row["amount.amount"] for row in rows] == [
        item["amount"]["amount"] for item in as_json["items"]
    ]
    assert rows[0]["amount.amount"] in {"300.00", "200.00", "100.00"}
    assert response.headers["X-Total-Count"] == "3"
    assert response.headers["X-Next-Cursor"] == as_json["next"]
    assert response.text.splitlines()[0].startswith("id,status,")


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(
    client: TestClient, tenant: TenantFixture, books: Any
) -> None:
    headers = tenant.treasurer
    for name in ('=HYPERLINK("http://x")', "+1+2", "@SUM(A1)", "-2+3", 'Plain, "quoted"'):
        response = client.post(
            "/v1/counterparties", json={"name": name, "country": "DE"}, headers=headers
        )
        assert response.status_code == 201, response.text
    line = {
        "bank_ref": "neg-1",
        "value_date": "2026-11-20",
        "amount": "-250.00",
        "description": "fee",
    }
    response = client.post(
        f"/v1/accounts/{books.cny['id']}/statement-lines", json={"lines": [line]}, headers=headers
    )
    assert response.status_code == 201, response.text

    names = [
        row["name"]
        for row in csv_rows(client.get("/v1/counterparties", headers={**headers, **CSV}))
    ]
    lines = csv_rows(
        client.get(f"/v1/accounts/{books.cny['id']}/statement-lines", headers={**headers, **CSV})
    )

    assert sorted(names) == sorted(
        ['\'=HYPERLINK("http://x")', "'+1+2", "'@SUM(A1)", "'-2+3", 'Plain, "quoted"']
    )
    assert "-250.00" in [row["amount.amount"] for row in lines]  # a negative amount is data


def test_an_empty_list_in_csv_still_has_its_header(
    client: TestClient, tenant: TenantFixture
) -> None:
    rows = client.get("/v1/exposures", headers={**tenant.treasurer, **CSV})

    assert rows.status_code == 200
    assert rows.text.splitlines()[0].split(",")[:3] == ["id", "entity_id", "pair"]
    assert len(rows.text.splitlines()) == 1


def test_snapshot_dates_in_csv_are_one_column(client: TestClient, tenant: TenantFixture) -> None:
    response = client.get("/v1/market-data/snapshots", headers={**tenant.treasurer, **CSV})

    assert response.text.splitlines() == ["as_of"]


def test_json_is_the_default_and_wins_when_asked_first(
    client: TestClient, tenant: TenantFixture
) -> None:
    asked = {**tenant.treasurer, "Accept": "application/json, text/csv"}

    assert client.get("/v1/entities", headers=tenant.treasurer).json()["total"] == 0
    assert client.get("/v1/entities", headers=asked).json()["total"] == 0
