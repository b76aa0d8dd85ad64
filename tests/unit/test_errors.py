"""The error catalogue of DESIGN §4.2: every public code exists, in the right HTTP family."""

from __future__ import annotations

import pytest

from treasury.api.problems import status_of
from treasury.errors import TreasuryError, catalogue

# DESIGN §4.2, code → HTTP status.
PUBLIC_CATALOGUE = {
    "VALIDATION_ERROR": 422,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "IDEMPOTENCY_KEY_REQUIRED": 422,
    "IDEMPOTENCY_KEY_REUSED": 409,
    "IDEMPOTENCY_KEY_IN_FLIGHT": 409,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "CALENDAR_NOT_LOADED": 422,
    "NOT_A_BUSINESS_DAY": 422,
    "POOL_INELIGIBLE": 422,
    "REAL_DEMAND_EXCEEDED": 422,
    "RATIO_CHANGE_LIMIT": 422,
    "DEBT_MODE_LOCKED": 422,
    "CROSS_BORDER_FINANCING_CAP_EXCEEDED": 422,
    "FX_RATE_REQUIRED": 422,
}


def test_catalogue_contains_every_public_code() -> None:
    missing = set(PUBLIC_CATALOGUE) - set(catalogue())

    assert not missing


@pytest.mark.parametrize(("code", "status"), sorted(PUBLIC_CATALOGUE.items()))
def test_each_public_code_renders_with_its_status(code: str, status: int) -> None:
    error_class = catalogue()[code]

    error = error_class("detail")

    assert error.code == code
    assert status_of(error) == status
    assert error.detail == "detail"
    assert error_class.title


def test_catalogue_maps_each_code_to_a_class_with_that_code() -> None:
    found = catalogue()

    assert TreasuryError not in found.values()
    assert all(error_class.code == code for code, error_class in found.items())
    assert "INSUFFICIENT_FUNDS" in found
    assert "ENTRY_ALREADY_REVERSED" in found


def test_errors_keep_their_extra_fields() -> None:
    error = catalogue()["CONFLICT"]("taken", object_id="x")

    assert error.extra == {"object_id": "x"}
    assert str(error) == "taken"
