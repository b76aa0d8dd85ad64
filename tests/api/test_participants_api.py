"""Routing reference data over HTTP: participants, rails and calendar years, versioned.

The database is shared by the tests, so each test writes under ids nobody else uses (a random
BIC, a disabled rail of a random id, a far year), and routing of other tests is unaffected.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture
from treasury.errors import CipsDpUnknown
from treasury.settlement.service import reference_data as reference_service

Json = dict[str, Any]


def random_bic() -> str:
    """A BIC no seed uses (country ZZ is unassigned)."""
    letters = "".join(random.SystemRandom().choice(string.ascii_uppercase) for _ in range(4))
    return f"{letters}ZZ22"


def test_a_participant_is_versioned_and_readable_by_tenants(
    client: TestClient, operator_headers: dict[str, str], tenant: TenantFixture
) -> None:
    bic = random_bic()
    body = {
        "bic": bic,
        "name": "Test Bank",
        "country": "ZZ",
        "cips_status": "NONE",
        "source": "SWIFTRef CIPS directory 2026-11 (test)",
    }

    first = client.post("/v1/participants", json=body, headers=operator_headers)
    second = client.post(
        "/v1/participants",
        json={
            **body,
            "cips_status": "INDIRECT",
            "cips_dp_bic": "BKCHCNBJ",
            "effective_from": "2026-12-01",
        },
        headers=operator_headers,
    )

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert first.json()["effective_from"] == "2026-11-26"  # today on the test clock
    mine = [
        v
        for v in get_json(client, "/v1/participants", tenant.treasurer)["items"]
        if v["key"] == bic
    ]
    assert [v["document"]["cips_status"] for v in mine] == ["NONE", "INDIRECT"]


def test_an_indirect_participant_needs_its_direct_participant(
    client: TestClient, operator_headers: dict[str, str]
) -> None:
    body = {"bic": random_bic(), "name": "Test Bank", "country": "ZZ", "cips_status": "INDIRECT"}

    response = client.post("/v1/participants", json=body, headers=operator_headers)

    assert_problem(response, 422, "VALIDATION_ERROR")


def test_only_the_operator_writes_participants(client: TestClient, tenant: TenantFixture) -> None:
    body = {"bic": random_bic(), "name": "Test Bank", "country": "ZZ", "cips_status": "NONE"}

    response = client.post("/v1/participants", json=body, headers=tenant.admin)

    assert_problem(response, 403, "FORBIDDEN")


def rail(rail_id: str, **fields: Any) -> Json:
    """A disabled test rail (never chosen by anybody's routing)."""
    return {
        "id": rail_id,
        "type": "CIPS",
        "scope": "cross_border",
        "house_bank_bic": "HBKACNSH",
        "currencies": ["CNY"],
        "corridors": [{"from_ctry": "CN", "to_ctry": "*"}],
        "session": {
            "tz": "Asia/Shanghai",
            "calendars": ["CN_IB"],
            "open": "08:30",
            "close": "17:00",
        },
        "legs": [{"name": "CIPS", "latency_min": 5}],
        "fee": {"ccy": "CNY", "bps": "5"},
        "policy_rank": 9,
        "enabled": False,
        "source": "test",
        **fields,
    }


def test_a_rail_is_checked_as_routing_reads_it(
    client: TestClient, operator_headers: dict[str, str], tenant: TenantFixture
) -> None:
    rail_id = "TEST_" + "".join(random.SystemRandom().choice(string.digits) for _ in range(8))

    stored = client.post("/v1/rails", json=rail(rail_id), headers=operator_headers)
    bad_zone = client.post(
        "/v1/rails",
        json=rail(
            rail_id,
            session={"tz": "UTC+8", "calendars": ["CN_IB"], "open": "08:30", "close": "17:00"},
        ),
        headers=operator_headers,
    )
    float_fee = client.post(
        "/v1/rails", json=rail(rail_id, fee={"ccy": "CNY", "bps": 5.5}), headers=operator_headers
    )
    unknown_calendar = client.post(
        "/v1/rails",
        json=rail(
            rail_id,
            session={"tz": "Asia/Shanghai", "calendars": ["CN"], "open": "08:30", "close": "17:00"},
        ),
        headers=operator_headers,
    )

    assert stored.status_code == 201, stored.text
    assert stored.json()["document"]["policy_rank"] == 9
    assert_problem(bad_zone, 422, "VALIDATION_ERROR")
    assert_problem(float_fee, 422, "VALIDATION_ERROR")
    assert_problem(unknown_calendar, 422, "VALIDATION_ERROR")
    listed = get_json(client, "/v1/rails", tenant.auditor)["items"]
    assert [v["version"] for v in listed if v["key"] == rail_id] == [1]
    assert {v["key"] for v in listed} >= {"CIPS_A", "CLR_HK", "SWIFT_USD", "HVPS", "BOOK"}


def test_calendar_years_are_seeded_with_their_status_and_source(
    client: TestClient, tenant: TenantFixture
) -> None:
    listed = get_json(client, "/v1/calendars", tenant.treasurer)["items"]

    by_key = {v["key"]: v for v in listed if v["version"] == 1}
    assert by_key["CN_IB/2027"]["document"]["status"] == "expected"
    assert "NOT OFFICIAL" in by_key["CN_IB/2027"]["source"]
    assert by_key["HK/2027"]["document"]["status"] == "official"
    assert "2027-02-08" in by_key["HK/2027"]["document"]["holidays"]


def test_a_calendar_year_needs_its_source_and_a_known_calendar(
    client: TestClient, operator_headers: dict[str, str]
) -> None:
    body = {
        "calendar": "XX",
        "year": 2099,
        "holidays": ["2099-01-02"],
        "status": "official",
        "source": "test",
    }

    unknown = client.post("/v1/calendars", json=body, headers=operator_headers)
    stray = client.post(
        "/v1/calendars",
        json={**body, "calendar": "JP", "holidays": ["2098-01-02"]},
        headers=operator_headers,
    )

    assert_problem(unknown, 422, "VALIDATION_ERROR")
    assert_problem(stray, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("dp", "why"),
    [
        ("QQQQZZ22", "not in the directory"),  # nobody
        ("DSBAHKHH", "NONE"),  # a bank that is no CIPS participant at all
        ("HSBCHKHH", "INDIRECT"),  # an indirect participant cannot stand behind another
    ],
)
def test_an_indirect_participant_whose_dp_is_no_known_direct_participant_is_refused(
    client: TestClient, operator_headers: dict[str, str], dp: str, why: str
) -> None:
    bic = random_bic()
    body = {
        "bic": bic,
        "name": "Test Bank",
        "country": "ZZ",
        "cips_status": "INDIRECT",
        "cips_dp_bic": dp,
    }

    response = client.post("/v1/participants", json=body, headers=operator_headers)

    problem = assert_problem(response, 422, "CIPS_DP_UNKNOWN")
    assert dp in problem["detail"]
    assert why in problem["detail"]
    listed = get_json(client, "/v1/participants", operator_headers)["items"]
    assert bic not in {v["key"] for v in listed}


def test_a_file_may_bring_the_dp_with_its_indirect_participants(
    client: TestClient, operator_headers: dict[str, str], tmp_path: Path, uow_factory: Any
) -> None:
    dp, indirect = random_bic(), random_bic()
    document: dict[str, Any] = {
        "effective_from": "2026-11-26",
        "source_document": "directory excerpt (test)",
        "participants": [
            {
                "bic": indirect,
                "name": "IP",
                "country": "ZZ",
                "cips_status": "INDIRECT",
                "cips_dp_bic": dp,
            },
            {"bic": dp, "name": "DP", "country": "ZZ", "cips_status": "DIRECT"},
        ],
    }
    path = tmp_path / "participants.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    counts = reference_service.load_file(uow_factory(), path)

    assert counts["participants"] == 2
    document["participants"] = document["participants"][:1]
    document["participants"][0]["cips_dp_bic"] = "QQQQZZ22"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CipsDpUnknown, match="QQQQZZ22"):
        reference_service.load_file(uow_factory(), path)
