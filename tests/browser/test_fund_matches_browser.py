"""In a real browser: create a fund, publish it, see its matches, open one, shortlist it, reload."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect

from src.main import create_app
from tests import factories as f
from tests.browser.test_sign_in_browser import ARGS, CHROMIUM, SCREENSHOTS
from tests.fakes.server import serve
from tests.helpers import PASSWORD

MARK = "Zephyrine"


@pytest.fixture
def live_server(settings, clock):
    with serve(create_app(settings, clock=clock), lifespan="on") as url:
        yield url


@pytest.fixture
def gp_member(service):
    for i, name in enumerate(("Pension Fund", "Endowment", "Family Office")):
        f.make_lp(
            service,
            org={"name": f"{MARK} {name}"},
            strategies=["private_credit"],
            geographies=["middle_east_africa"],
            sectors=["healthcare"],
            fund_size_min_musd=50,
            fund_size_max_musd=1500 + i,
            mandate_text=f"{MARK} backs private credit managers lending to healthcare companies.",
        )
    email = f"{f.unique('fund')}@example.org"
    f.make_user(
        service, org_id=f.make_org(service), access_role="member", email=email, password=PASSWORD
    )
    return email


async def test_create_publish_match_open_shortlist_reload(live_server, gp_member):
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{live_server}/login?next=/funds/new")
        await page.get_by_label("Email").fill(gp_member)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(f"{live_server}/funds/new")

        # A draft with a mistake first: the form keeps the input and names the field.
        await page.get_by_label("Fund name").fill("Oasis Health Credit I")
        await page.get_by_label("Target size ($m)").fill("400")
        await page.get_by_label("Hard cap ($m)").fill("300")
        await page.get_by_role("button", name="Save fund").click()
        await expect(page.locator(".field__error").first).to_contain_text("hard cap")
        await expect(page.get_by_label("Fund name")).to_have_value("Oasis Health Credit I")
        await page.screenshot(path=SCREENSHOTS / "fund-form-error.png", full_page=True)

        await page.get_by_label("Hard cap ($m)").fill("600")
        await page.get_by_label("Strategy").select_option("private_credit/direct_lending")
        await page.get_by_label("Middle East & Africa").check()
        await page.get_by_label("Healthcare").check()
        await page.get_by_label("Investment thesis").fill(
            "Senior secured loans to healthcare companies across the Gulf and Africa."
        )
        await page.get_by_role("button", name="Save fund").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Oasis Health Credit I")
        await expect(page.get_by_text("draft", exact=True)).to_be_visible()

        await page.get_by_role("button", name="Publish and find LPs").click()
        await expect(page.get_by_text("Rule scores are up to date")).to_be_visible()
        await page.screenshot(path=SCREENSHOTS / "fund-detail.png", full_page=True)
        await page.get_by_role("link", name="Matches", exact=True).first.click()
        await expect(page).to_have_url(re.compile(r"/funds/[0-9a-f-]+/matches"))
        cards = page.locator("article.match-card")
        await expect(cards.filter(has_text=MARK)).to_have_count(3)
        await page.screenshot(path=SCREENSHOTS / "fund-matches.png", full_page=True)

        await page.get_by_role("link", name=f"{MARK} Endowment").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"{MARK} Endowment")
        await expect(page.get_by_text("Score breakdown")).to_be_visible()
        await page.get_by_role("button", name="Shortlist").click()
        await expect(page.get_by_text("Stage: Interested")).to_be_visible()
        await page.reload()
        await expect(page.get_by_text("Stage: Interested")).to_be_visible()
        await page.screenshot(path=SCREENSHOTS / "match-detail.png", full_page=True)

        await page.get_by_role("link", name="Matches").last.click()
        await page.get_by_role("link", name="Shortlist").first.click()
        await expect(page.locator("table tbody tr")).to_have_count(1)
        await expect(page.locator("table tbody tr")).to_contain_text(f"{MARK} Endowment")
        await browser.close()
    assert errors == []
