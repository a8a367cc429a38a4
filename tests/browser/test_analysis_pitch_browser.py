"""In a real browser: a match → run the full analysis → read the debate → write a pitch → edit
it → download the PDF (offline analyst: no key, no network)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect
from psycopg.types.json import Jsonb

from src.main import create_app
from tests import factories as f
from tests.browser.test_sign_in_browser import ARGS, CHROMIUM, SCREENSHOTS
from tests.fakes.server import serve
from tests.helpers import PASSWORD

MARK = "Brightwater"


@pytest.fixture
def live_server(settings, clock):
    with serve(create_app(settings, clock=clock), lifespan="on") as url:
        yield url


@pytest.fixture
def match_url(service):
    org = f.make_org(service)
    email = f"{f.unique('analysis')}@example.org"
    f.make_user(service, org_id=org, access_role="member", email=email, password=PASSWORD)
    fund = f.make_fund(service, org_id=org, name=f"{MARK} Credit II", sectors=["healthcare"],
                       strategy="private_credit/direct_lending")  # fmt: skip
    lp = f.make_lp(service, org={"name": f"{MARK} Pension"}, strategies=["private_credit"])
    breakdown = {"analysis": "rule-based", "factors": [
        {"factor": "sector", "label": "Sector fit", "score": 90.0, "weight": 20.0,
         "contribution": 18.0, "no_data": False, "facts": ["Invests in healthcare."]},
        {"factor": "size", "label": "Size fit", "score": 40.0, "weight": 20.0,
         "contribution": 8.0, "no_data": False, "facts": ["Cheque is 0.5% of the fund."]},
    ]}  # fmt: skip
    match = f.make_match(service, fund_id=fund, lp_org_id=lp, score=71, rule_score=70,
                         score_breakdown=Jsonb(breakdown), confidence=0.7,
                         talking_points=["Invests in healthcare."], concerns=["Small cheque."])  # fmt: skip
    return email, f"/matches/{match}"


async def test_run_analysis_read_debate_write_edit_and_download_a_pitch(live_server, match_url):
    email, path = match_url
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{live_server}/login?next={path}")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"{MARK} Pension")

        await page.get_by_role("button", name="Run full analysis").click()
        debate = page.locator("#debate")
        await expect(debate.get_by_text("Round 1")).to_be_visible(timeout=15_000)
        await expect(debate.get_by_text("offline analysis")).to_be_visible()
        await expect(page.get_by_text("(offline analysis)")).to_be_visible()
        await page.screenshot(path=SCREENSHOTS / "debate.png", full_page=True)

        await page.get_by_label("Write").select_option("summary")
        await page.get_by_role("button", name="Write pitch").click()
        await expect(page).to_have_url(re.compile(r"/pitches/[0-9a-f-]+$"))
        body = page.get_by_label("Text")
        await expect(body).to_contain_text(f"{MARK} Pension")
        await body.fill("Introduction\nA short, edited summary for the committee.")
        await page.get_by_role("button", name="Save as a new version").click()
        await expect(page.get_by_text("Saved as version 2.")).to_be_visible()
        await page.screenshot(path=SCREENSHOTS / "pitch.png", full_page=True)

        link = page.get_by_role("link", name="Download PDF")
        href = await link.get_attribute("href")
        assert href is not None and href.endswith("/pdf")
        # The browser's own session fetches the file (headless Chromium cancels downloads
        # that nobody saves, so the check reads the response instead).
        pdf = await page.request.get(f"{live_server}{href}")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        assert (await pdf.body()).startswith(b"%PDF-")
        await browser.close()
    assert errors == []
