"""A real browser (Debian's Chromium through Playwright): sign in, see the dashboard, sign out.

This runs the pages as a user does: htmx boosted forms under our CSP, cookies set by the
server, redirects followed by the browser.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from src.main import create_app
from tests import factories as f
from tests.fakes.server import serve
from tests.helpers import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(os.environ.get("LPXGP_SCREENSHOTS", "/tmp/lpxgp-screenshots"))


@pytest.fixture
def live_server(settings, clock):
    with serve(create_app(settings, clock=clock), lifespan="on") as url:
        yield url


@pytest.fixture
def browser_user(service):
    org = f.make_org(service, name=f.unique("Browser Capital"))
    f.make_fund(service, org_id=org, name="Browser Capital Fund II", status="raising")
    email = f"{f.unique('browser')}@example.org"
    f.make_user(
        service,
        org_id=org,
        access_role="admin",
        email=email,
        password=PASSWORD,
        full_name="Bea Browser",
    )
    return email


async def test_sign_in_dashboard_sign_out(live_server, browser_user):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        # The wrong password's 401 is logged by the browser and htmx; what must never appear is a
        # script error or a Content-Security-Policy refusal.
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        try:
            await page.goto(f"{live_server}/dashboard")
            await expect(page).to_have_url(f"{live_server}/login?next=%2Fdashboard")

            await page.get_by_label("Email").fill(browser_user)
            await page.get_by_label("Password").fill("not the password")
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("alert")).to_contain_text("do not match an account")
            await expect(page.get_by_label("Email")).to_have_value(browser_user)

            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page).to_have_url(f"{live_server}/dashboard")
            await expect(page.get_by_role("heading", level=1)).to_contain_text("Browser Capital")
            await expect(page.get_by_text("Browser Capital Fund II")).to_be_visible()
            await page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)

            await page.get_by_role("button", name="Sign out").click()
            await expect(page.get_by_text("You have been signed out.")).to_be_visible()
            await page.goto(f"{live_server}/dashboard")
            await expect(page).to_have_url(f"{live_server}/login?next=%2Fdashboard")
        except AssertionError:
            # Keep what the browser saw: CI prints the path, and the files explain a failure.
            await page.screenshot(path=SCREENSHOTS / "failure.png", full_page=True)
            (SCREENSHOTS / "failure.html").write_text(await page.content())
            raise
        await browser.close()
    assert errors == []
