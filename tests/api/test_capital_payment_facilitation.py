"""Capital-account income payment facilitation (issue 12 item 9; regulation.md §3.3–§3.5): a
firm outside facilitation shows its evidence; a facilitated firm pays on instruction and a
configurable share of its payments is sampled into the officers' queue for a post-event check;
facilitation lapses for a class B firm or one with an FX penalty in the last twelve months."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from treasury.clock import FixedClock


def pay(
    client: TestClient,
    tenant: TenantFixture,
    entity: dict[str, Any],
    value_date: str = "2026-11-26",
    **references: str,
) -> Any:
    headers = tenant.treasurer
    capital = open_account(client, headers, entity["id"], kind="capital", bank_bic="HBKACNSH")
    fund(client, headers, capital["id"], "50000.00", value_date="2026-11-01")
    body = {
        "debtor_account_id": capital["id"],
        "creditor": {
            "name": "Suzhou Components Co",
            "country": "CN",
            "bank_bic": "BKCHCNBJ",
            "account": "6222020200778899",
            "address": {"town": "Suzhou", "country": "CN"},
        },
        "amount": {"amount": "1000.00", "currency": "CNY"},
        "value_date": value_date,
        "purpose": "domestic_equity_investment",
        "references": references,
    }
    response = post_transfer(client, headers, body)
    assert response.status_code == 201, response.text
    return response.json()


def rules(transfer: Any) -> list[str]:
    return [finding["rule"] for finding in transfer["findings"]]


def test_a_firm_outside_facilitation_shows_its_evidence(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    held = pay(client, tenant, entity)
    assert (held["status"], rules(held)) == ("held", ["CAPITAL_PAYMENT_EVIDENCE_MISSING"])
    shown = pay(client, tenant, entity, payment_evidence="equity transfer agreement EQ-7")
    assert (shown["status"], rules(shown)) == ("booked", [])


def test_a_facilitated_firm_pays_on_instruction_unless_facilitation_lapsed(
    client: TestClient, tenant: TenantFixture
) -> None:
    facilitated = create_entity(client, tenant.treasurer, capital_payment_facilitation=True)
    assert facilitated["capital_payment_facilitation"] is True
    paid = pay(client, tenant, facilitated)
    assert paid["status"] == "booked"
    assert set(rules(paid)) <= {"CAPITAL_PAYMENT_POST_CHECK"}  # sampled or not, it is paid
    for lapsed in ({"trade_fx_class": "B"}, {"last_fx_penalty_on": "2026-01-10"}):
        entity = create_entity(
            client, tenant.treasurer, capital_payment_facilitation=True, **lapsed
        )
        held = pay(client, tenant, entity)
        assert (held["status"], rules(held)) == ("held", ["CAPITAL_PAYMENT_EVIDENCE_MISSING"])
        assert "facilitation does not apply" in held["findings"][0]["message"]


def test_a_sampled_share_goes_to_the_officers_queue_for_a_post_event_check(
    client: TestClient,
    tenant: TenantFixture,
    clock: FixedClock,
    operator_headers: dict[str, str],
) -> None:
    # illustrative later versions [X]: every payment sampled in September 2027, none in October
    for effective_from, rate in (("2027-09-01", "1"), ("2027-10-01", "0")):
        version = {
            "name": "cap_income.facilitation_sample_rate",
            "value": rate,
            "effective_from": effective_from,
            "source": "test: an illustrative bank policy [X]",
        }
        loaded = client.post("/v1/parameters", json=version, headers=operator_headers)
        assert loaded.status_code == 201, loaded.text
    clock.instant = datetime(2027, 9, 15, 2, 0, tzinfo=UTC)
    entity = create_entity(client, tenant.treasurer, capital_payment_facilitation=True)
    sampled = pay(client, tenant, entity, value_date="2027-09-15")
    assert (sampled["status"], rules(sampled)) == ("booked", ["CAPITAL_PAYMENT_POST_CHECK"])
    queue = get_json(client, "/v1/reviews?status=pending", tenant.officer)["items"]
    (item,) = [i for i in queue if i["transfer_id"] == sampled["id"]]
    assert [f["rule"] for f in item["findings"]] == ["CAPITAL_PAYMENT_POST_CHECK"]

    clock.instant = datetime(2027, 10, 15, 2, 0, tzinfo=UTC)
    unsampled = pay(client, tenant, entity, value_date="2027-10-15")
    assert (unsampled["status"], rules(unsampled)) == ("booked", [])
    assert unsampled["review_id"] is None
