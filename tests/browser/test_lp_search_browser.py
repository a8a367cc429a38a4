"""In a real browser: search the LP database, filter, open an LP, go back with the filters kept."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect

from src.main import create_app
from tests import factories as f
from tests.browser.test_sign_in_browser import ARGS, CHROMIUM, SCREENSHOTS
from tests.fakes.server import serve
from tests.helpers import PASSWORD

MARK = "Vellichor"


@pytest.fixture
def live_server(settings, clock):
    with serve(create_app(settings, clock=clock), lifespan="on") as url:
        yield url


@pytest.fixture
def searcher(service):
    f.make_lp(service, org={"name": f"{MARK} Teachers Pension"}, lp_type="public_pension",
              mandate_text=f"{MARK} pension backing Nordic buyout managers.")  # fmt: skip
    f.make_lp(service, org={"name": f"{MARK} Family Office"}, lp_type="family_office",
              mandate_text=f"{MARK} family office investing in venture.")  # fmt: skip
    email = f"{f.unique('browse')}@example.org"
    f.make_user(
        service, org_id=f.make_org(service), access_role="member", email=email, password=PASSWORD
    )
    return email


async def test_search_filter_open_and_back_keeps_the_filters(live_server, searcher):
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{live_server}/login?next=/lps")
        await page.get_by_label("Email").fill(searcher)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(f"{live_server}/lps")
        # htmx binds its listeners when the page has loaded; typing before that is not seen.
        await page.wait_for_load_state("load")

        await page.get_by_label("Keywords").fill(MARK)
        results = page.locator("table.lp-table tbody tr")
        await expect(results).to_have_count(2)
        await page.get_by_label("Family office").check()
        await expect(results).to_have_count(1)
        await expect(page).to_have_url(re.compile(f"q={MARK}.*type=family_office"))
        await page.screenshot(path=SCREENSHOTS / "lp-search.png", full_page=True)

        await page.get_by_role("link", name=f"{MARK} Family Office").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"{MARK} Family Office")
        await page.screenshot(path=SCREENSHOTS / "lp-detail.png", full_page=True)

        await page.go_back()
        await expect(page).to_have_url(re.compile("type=family_office"))
        await expect(page.get_by_label("Family office")).to_be_checked()
        await expect(page.get_by_label("Keywords")).to_have_value(MARK)
        await expect(results).to_have_count(1)
        await browser.close()
    assert errors == []
