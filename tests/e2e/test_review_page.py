"""The officers' page end to end: `treasury serve` as a subprocess, driven in headless Chromium.

Two held transfers are made through the API; an officer signs in on /review, approves the first
and rejects the second, and the API then reports one booked and one rejected. Screenshots go to
`test-artifacts/` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Server:
    """A running `treasury serve` with a tenant's treasurer and compliance officer tokens."""

    base_url: str
    treasurer: str
    officer: str


def chromium_or_skip() -> Path:
    """The system Chromium; missing → skip locally, fail under CI=true."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing under CI=true: the e2e tests need it")
    pytest.skip(f"{CHROMIUM} is not installed (install Debian's chromium to run the e2e tests)")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def treasury_cli(env: dict[str, str], *args: str) -> str:
    """Run the `treasury` command; return the last line of its stdout ("" when it printed none)."""
    command = [str(Path(sys.executable).with_name("treasury")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{command}: {done.stderr}"
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    """Poll /healthz until the server answers; fail with its log if it dies or never answers."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"treasury serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"treasury serve did not answer in {START_TIMEOUT_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`treasury serve` on a fresh SQLite file and a free port, always terminated afterwards."""
    chromium_or_skip()
    env = {
        **os.environ,
        "TREASURY_DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
        "TREASURY_SCHEDULER": "off",
        "TREASURY_LOG_LEVEL": "warning",
    }
    treasury_cli(env, "migrate")
    treasury_cli(env, "tenant", "create", "e2e", "--name", "E2E Group")
    treasurer = treasury_cli(
        env, "token", "create", "--tenant", "e2e", "--role", "treasurer", "--name", "Tina Treasurer"
    )
    officer = treasury_cli(
        env,
        "token",
        "create",
        "--tenant",
        "e2e",
        "--role",
        "compliance_officer",
        "--name",
        "Oscar Officer",
    )
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
            yield Server(base_url, treasurer, officer)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def created(response: httpx.Response) -> dict[str, Any]:
    """The body of a 201."""
    assert response.status_code == 201, response.text
    return dict(response.json())


def two_held_transfers(server: Server) -> list[dict[str, Any]]:
    """Two transfers out of a capital account for purpose `other`, both held for review."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with httpx.Client(base_url=server.base_url, headers=bearer(server.treasurer)) as api:
        entity = created(
            api.post("/v1/entities", json={"code": "SZM", "name": "Suzhou Motors", "country": "CN"})
        )
        accounts = [
            created(
                api.post(
                    "/v1/accounts",
                    json={
                        "entity_id": entity["id"],
                        "currency": "CNY",
                        "kind": kind,
                        "bank_bic": "BKCHCNBJ",
                        "number": uuid.uuid4().hex[:12],
                    },
                )
            )
            for kind in ("capital", "current")
        ]
        line = {
            "bank_ref": "fund-1",
            "value_date": today,
            "amount": "100000.00",
            "description": "x",
        }
        created(
            api.post(f"/v1/accounts/{accounts[0]['id']}/statement-lines", json={"lines": [line]})
        )
        transfers = []
        for amount, remark in (("12000.00", "moulds for line 2"), ("8000.00", "consulting fee")):
            body = {
                "debtor_account_id": accounts[0]["id"],
                "creditor_account_id": accounts[1]["id"],
                "amount": {"amount": amount, "currency": "CNY"},
                "value_date": today,
                "purpose": "other",
                "remark": remark,
            }
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            transfer = created(api.post("/v1/transfers", json=body, headers=headers))
            assert transfer["status"] == "held", transfer
            transfers.append(transfer)
        return transfers


def transfer_status(server: Server, transfer_id: str) -> str:
    """The transfer's status through the API."""
    response = httpx.get(
        f"{server.base_url}/v1/transfers/{transfer_id}", headers=bearer(server.treasurer)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def decide_in_browser(page: Page, review_id: str, decision: str, reason: str) -> None:
    """Open an item from the queue, choose a decision, give a reason and submit."""
    page.goto("/review")
    page.click(f"a[href='/review/{review_id}']")
    page.wait_for_url(re.compile(rf"/review/{review_id}$"))
    page.check(f"input[name=decision][value={decision}]")
    page.fill("#reason", reason)
    if decision == "approve":
        page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
    page.click("section.decision button[type=submit]")
    page.wait_for_url(re.compile(rf"/review/{review_id}\?done="))


def test_an_officer_approves_one_transfer_and_rejects_another(server: Server) -> None:
    first, second = two_held_transfers(server)
    ARTIFACTS.mkdir(exist_ok=True)
    console_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_or_skip()), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(
                base_url=server.base_url, viewport={"width": 1280, "height": 900}
            )
            page = context.new_page()
            page.on(
                "console", lambda m: console_errors.append(m.text) if m.type == "error" else None
            )
            page.goto("/review/login")
            page.fill("#token", server.officer)
            page.click("form[action='/review/login'] button[type=submit]")
            page.wait_for_url(re.compile(r"/review$"))
            assert page.locator("table.queue tbody tr").count() == 2
            assert "Oscar Officer" in page.inner_text("header")
            page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)
            session = next(
                c for c in context.cookies() if c.get("name") == "treasury_review_session"
            )
            assert session.get("httpOnly") is True
            assert session.get("sameSite") == "Strict"
            assert server.officer not in str(session.get("value"))

            decide_in_browser(page, first["review_id"], "approve", "Contract and invoice seen")
            assert "1 of 1 approvals" in page.inner_text("main")
            assert "Approved" in page.inner_text(".notice.success")
            decide_in_browser(page, second["review_id"], "reject", "No contract on file")
            assert "Rejected" in page.inner_text(".notice.success")
            assert "No contract on file" in page.inner_text("main")
            page.goto("/review")
            assert page.locator("table.queue tbody tr").count() == 0
            context.close()
        finally:
            browser.close()

    assert transfer_status(server, first["id"]) == "booked"
    assert transfer_status(server, second["id"]) == "rejected"
    assert console_errors == []  # no CSP violations, no failed resources
