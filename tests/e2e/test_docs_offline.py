"""/docs and /redoc in headless Chromium with every request to another host refused — a machine
without internet (issue 13: Swagger UI used to load from a CDN and showed a blank page)."""

from __future__ import annotations

from playwright.sync_api import Page, Route, sync_playwright

from tests.e2e.conftest import Server
from tests.e2e.test_review_page import ARTIFACTS, CHROMIUM_ARGS, chromium_or_skip


def offline_page(page: Page, base_url: str, refused: list[str]) -> None:
    """Let the page reach the service only; anything else is aborted and remembered."""

    def route(request_route: Route) -> None:
        url = request_route.request.url
        if url.startswith(base_url):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)


def test_swagger_ui_and_redoc_render_without_any_other_host(server: Server) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    refused: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_or_skip()), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(base_url=server.base_url)
            offline_page(page, server.base_url, refused)
            page.on("pageerror", lambda error: errors.append(str(error)))

            page.goto("/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            operations = page.locator(".opblock").count()
            page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))

            page.goto("/redoc")
            page.wait_for_selector("h1:has-text('Cross-border treasury service')", timeout=30_000)
            page.wait_for_selector("h2", timeout=30_000)  # the operations' headings
            sections = page.locator("h2").count()
            page.screenshot(path=str(ARTIFACTS / "redoc-offline.png"))
        finally:
            browser.close()

    assert refused == []
    assert errors == []
    assert operations > 50
    assert sections > 50
