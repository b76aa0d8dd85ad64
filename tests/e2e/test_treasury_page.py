"""The treasurer's pages end to end: `treasury serve` as a subprocess, driven in headless Chromium.

A group is seeded through the API (two entities, CNY, USD and HKD accounts, a held transfer, an
exposure, a fresh USD rate and a stale HKD one). The treasurer signs in on /treasury, reads every
chart against those figures, filters by currency, exports the CSV, and the page is checked at
390 px wide. Screenshots go to `test-artifacts/` (kept by CI) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from tests.e2e.test_review_page import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    bearer,
    chromium_or_skip,
    created,
    free_port,
    treasury_cli,
    wait_until_up,
)


@dataclass(frozen=True)
class Seeded:
    """The running server, the treasurer's token and what was seeded."""

    base_url: str
    treasurer: str
    today: date
    exposure_month: str
    held_id: str


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Seeded]:
    """`treasury serve` on a fresh SQLite file with a small group seeded through the API."""
    chromium_or_skip()
    env = {
        **os.environ,
        "TREASURY_DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
        "TREASURY_SCHEDULER": "off",
        "TREASURY_LOG_LEVEL": "warning",
    }
    treasury_cli(env, "migrate")
    treasury_cli(env, "tenant", "create", "ws", "--name", "Workspace Group")
    treasurer = treasury_cli(
        env, "token", "create", "--tenant", "ws", "--role", "treasurer", "--name", "Tina Treasurer"
    )
    operator = treasury_cli(env, "token", "create", "--operator", "--name", "op")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("treasury")),
                *("serve", "--host", "127.0.0.1", "--port", str(port)),
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(process, base_url, log)
            month, held_id = seed_group(base_url, treasurer, operator)
            yield Seeded(base_url, treasurer, _today(), month, held_id)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _account(api: httpx.Client, entity_id: str, currency: str, **fields: Any) -> dict[str, Any]:
    body = {
        "entity_id": entity_id,
        "currency": currency,
        "bank_bic": fields.pop("bank_bic", "BKCHCNBJ"),
        "number": uuid.uuid4().hex[:12],
        **fields,
    }
    return created(api.post("/v1/accounts", json=body))


def _fund(api: httpx.Client, account_id: str, amount: str, day: date) -> None:
    line = {
        "bank_ref": uuid.uuid4().hex,
        "value_date": day.isoformat(),
        "amount": amount,
        "description": "funding",
    }
    created(api.post(f"/v1/accounts/{account_id}/statement-lines", json={"lines": [line]}))


def seed_group(base_url: str, treasurer: str, operator: str) -> tuple[str, str]:
    """SZM: CNY 150,000 (100,000 current + 50,000 capital), USD 5,000; HKT: HKD 20,000; a held
    CNY 12,000 between SZM's own accounts; a USD exposure two months out. Returns its month and
    the held transfer's id."""
    today = _today()
    with httpx.Client(base_url=base_url, headers=bearer(operator)) as ops:
        for pair, day, rate in (
            ("USDCNY", today, "7.1025"),
            ("HKDCNY", today - timedelta(days=10), "0.9"),
        ):
            body = {"pair": pair, "date": day.isoformat(), "rate": rate, "source": "e2e"}
            created(ops.post("/v1/reference-rates", json=body))
    with httpx.Client(base_url=base_url, headers=bearer(treasurer)) as api:
        szm = created(
            api.post(
                "/v1/entities",
                json={
                    "code": "SZM",
                    "name": "Suzhou Motors",
                    "country": "CN",
                    "address": {"street": "Harbour Road", "town": "Suzhou", "country": "CN"},
                },
            )
        )
        hkt = created(
            api.post(
                "/v1/entities",
                json={
                    "code": "HKT",
                    "name": "HK Treasury Ltd",
                    "country": "HK",
                    "address": {"street": "Harbour Road", "town": "Hong Kong", "country": "HK"},
                },
            )
        )
        current = _account(api, szm["id"], "CNY")
        capital = _account(api, szm["id"], "CNY", kind="capital")
        usd = _account(api, szm["id"], "USD")
        hkd = _account(api, hkt["id"], "HKD", bank_bic="BKCHHKHH")
        for account, amount in (
            (current, "100000.00"),
            (capital, "50000.00"),
            (usd, "5000.00"),
            (hkd, "20000.00"),
        ):
            _fund(api, account["id"], amount, today)
        held = created(
            api.post(
                "/v1/transfers",
                json={
                    "debtor_account_id": capital["id"],
                    "creditor_account_id": current["id"],
                    "amount": {"amount": "12000.00", "currency": "CNY"},
                    "value_date": today.isoformat(),
                    "purpose": "other",
                    "remark": "moulds for line 2",
                },
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
        )
        assert held["status"] == "held", held
        expected = today + timedelta(days=60)
        created(
            api.post(
                "/v1/exposures",
                json={
                    "entity_id": szm["id"],
                    "pair": "USDCNY",
                    "direction": "receive",
                    "amount": {"amount": "100000.00", "currency": "USD"},
                    "expected_date": expected.isoformat(),
                },
            )
        )
    return expected.strftime("%Y-%m"), str(held["id"])


def bar_values(page: Page, chart: str) -> dict[str, str]:
    """The bars of a chart: key → the figure shown."""
    bars = page.locator(f"svg[data-chart={chart}] g.bar")
    return {
        str(bars.nth(i).get_attribute("data-key")): str(bars.nth(i).get_attribute("data-value"))
        for i in range(bars.count())
    }


def read_charts(page: Page, seeded: Seeded) -> None:
    """Every chart against the seeded figures."""
    assert bar_values(page, "positions") == {"SZM": "185,512.50 CNY", "HKT": "18,000.00 CNY"}
    assert "203,512.50 CNY" in page.inner_text("#total-cny")
    assert "HKDCNY" in page.inner_text("#stale-rates")
    today = seeded.today.isoformat()
    day = page.locator(f"svg[data-chart=ladder] g.day[data-currency=CNY][data-day='{today}']")
    assert day.get_attribute("data-inflows") == "162000.00"  # funding 150,000 + held in 12,000
    assert day.get_attribute("data-outflows") == "12000.00"  # held out
    assert day.get_attribute("data-closing") == "150000.00"
    assert page.locator("svg[data-chart=ladder]").count() == 3  # CNY, HKD, USD
    assert "No cash pool yet" in page.inner_text("#quotas")
    assert "No live hedge" in page.inner_text("#hedges")
    ratio = page.locator(
        f"svg[data-chart=ratios] g.band[data-key='USDCNY:receive:{seeded.exposure_month}']"
    )
    assert ratio.get_attribute("data-value") == "0.0 %"
    assert ratio.get_attribute("data-ok") == "false"  # below the 50 % policy floor
    row = page.locator("#transfers tbody tr").first
    assert "12,000.00 CNY" in row.inner_text()
    assert "held" in row.inner_text()
    assert "pending" in row.inner_text()


def cancel_in_browser(page: Page, seeded: Seeded) -> None:
    """Cancel the held transfer from its row; the API then reports it cancelled."""
    form = page.locator(f"form[action='/treasury/transfers/{seeded.held_id}/cancellation']")
    form.locator("input[name=reason]").fill("Duplicate of the moulds payment")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"done=cancelled"))
    assert "Cancelled" in page.inner_text(".notice.success")
    row = page.locator(f"#transfers tr[data-transfer='{seeded.held_id}']")
    assert "cancelled" in row.inner_text()
    assert row.locator("form").count() == 0
    held = page.locator("#positions tr[data-key=SZM][data-currency=CNY] td").nth(3)
    assert held.inner_text() == "0.00"  # the reservation is released
    with httpx.Client(base_url=seeded.base_url, headers=bearer(seeded.treasurer)) as api:
        transfer = api.get(f"/v1/transfers/{seeded.held_id}").json()
    assert transfer["status"] == "cancelled"
    assert transfer["cancellation"]["reason"] == "Duplicate of the moulds payment"


def test_the_treasurer_reads_filters_and_exports_the_group_view(seeded: Seeded) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    console_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_or_skip()), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(
                base_url=seeded.base_url,
                viewport={"width": 1280, "height": 900},
                accept_downloads=True,
            )
            page = context.new_page()
            page.on(
                "console", lambda m: console_errors.append(m.text) if m.type == "error" else None
            )
            page.goto("/treasury")
            page.wait_for_url(re.compile(r"/treasury/login$"))
            page.fill("#token", seeded.treasurer)
            page.click("form[action='/treasury/login'] button[type=submit]")
            page.wait_for_url(re.compile(r"/treasury$"))
            assert "Tina Treasurer" in page.inner_text("header")
            session = next(
                c for c in context.cookies() if c.get("name") == "treasury_workspace_session"
            )
            assert session.get("httpOnly") is True
            assert session.get("sameSite") == "Strict"

            read_charts(page, seeded)
            page.screenshot(path=str(ARTIFACTS / "treasury-workspace.png"), full_page=True)

            cancel_in_browser(page, seeded)

            page.select_option("#group_by", "currency")
            page.click("#filters button[type=submit]")
            page.wait_for_url(re.compile(r"group_by=currency"))
            assert bar_values(page, "positions") == {
                "CNY": "150,000.00 CNY",
                "USD": "35,512.50 CNY",
                "HKD": "18,000.00 CNY",
            }

            with page.expect_download() as download_info:
                page.click("a.export")
            exported = Path(download_info.value.path()).read_text(encoding="utf-8")
            rows = list(csv.DictReader(io.StringIO(exported)))
            assert {(r["key"], r["balance"], r["cny_equivalent"]) for r in rows} == {
                ("CNY", "150000.00", "150000.00"),
                ("HKD", "20000.00", "18000.00"),
                ("USD", "5000.00", "35512.50"),
            }
            assert {r["group_by"] for r in rows} == {"currency"}

            page.set_viewport_size({"width": 390, "height": 844})
            page.goto("/treasury")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is {width} px wide at a 390 px viewport"
            assert page.locator("svg[data-chart=positions]").bounding_box()["width"] <= 390  # type: ignore[index]
            page.screenshot(path=str(ARTIFACTS / "treasury-workspace-390.png"), full_page=True)
            context.close()
        finally:
            browser.close()
    assert console_errors == []  # no CSP violations, no failed resources
