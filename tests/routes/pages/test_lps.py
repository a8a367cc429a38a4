"""The LP database through HTTP: each filter, keyword, pagination, escaping, export, LP page."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup

from tests import factories as f
from tests.helpers import PASSWORD, post_form, sign_in

MARK = "Quillon"  # a word no generated LP uses, so keyword searches see only these


@pytest.fixture(scope="module")
def market(service):
    """Six LPs that differ in one attribute at a time, plus a signed-in GP member."""
    lps = {
        "pension": {"lp_type": "public_pension", "aum_musd": 40000, "strategies": ["private_equity/buyout"],
                        "geographies": ["nordics"], "region": "nordics", "check_size_min_musd": 50, "check_size_max_musd": 150,
                        "fund_size_min_musd": 500, "fund_size_max_musd": 5000, "esg_required": True,
                        "emerging_manager_program": False, "actively_looking": True,
                        "mandate_text": f"{MARK} pension backing Nordic buyout managers with ESG policies."},
        "endowment": {"lp_type": "endowment", "aum_musd": 3000, "strategies": ["venture"], "geographies": ["north_america"],
                          "region": "north_america", "check_size_min_musd": 5, "check_size_max_musd": 25,
                          "fund_size_min_musd": 50, "fund_size_max_musd": 600, "esg_required": False,
                          "emerging_manager_program": True, "actively_looking": False,
                          "mandate_text": f"{MARK} endowment seeding first-time venture funds in healthcare."},
        "family": {"lp_type": "family_office", "aum_musd": 400, "strategies": ["real_assets/real_estate"],
                       "geographies": ["europe"], "region": "europe", "check_size_min_musd": 2, "check_size_max_musd": 10,
                       "fund_size_min_musd": 20, "fund_size_max_musd": 300, "esg_required": None,
                       "emerging_manager_program": None, "actively_looking": True,
                       "mandate_text": f"{MARK} family office buying value-add residential property in Europe."},
        "insurer": {"lp_type": "insurance", "aum_musd": 90000, "strategies": ["private_credit/direct_lending"],
                        "geographies": ["global"], "region": "global", "check_size_min_musd": 100, "check_size_max_musd": 400,
                        "fund_size_min_musd": 1000, "fund_size_max_musd": 20000, "esg_required": False,
                        "emerging_manager_program": False, "actively_looking": True, "last_verified_at": "2026-10-01T00:00:00Z",
                        "mandate_text": f"{MARK} insurer lending senior secured to sponsor-backed companies."},
        "sparse": {"lp_type": "other", "aum_musd": None, "strategies": [], "geographies": [], "region": None,
                       "check_size_min_musd": None, "check_size_max_musd": None, "mandate_text": None,
                       "description": f"{MARK} reserve fund with little public information."},
    }  # fmt: skip
    ids = {}
    for key, values in lps.items():
        ids[key] = f.make_lp(
            service, org={"name": f"{MARK} {key.title()} Fund", "hq_country": "SE"}, **values
        )
    ids["calpers"] = f.make_lp(service, org={"name": "California Public Employees' Retirement System (CalPERS)"},
                               mandate_text=f"{MARK} large US public pension.")  # fmt: skip
    email = f"{f.unique('searcher')}@example.org"
    f.make_user(
        service, org_id=f.make_org(service), access_role="member", email=email, password=PASSWORD
    )
    return {"ids": ids, "email": email}


@pytest.fixture
async def member(client, market):
    await sign_in(client, market["email"])
    return client


def names(html: str) -> set[str]:
    page = BeautifulSoup(html, "html.parser")
    return {a.text.strip() for a in page.select("table.lp-table tbody td a strong")}


def ours(found: set[str]) -> set[str]:
    return {
        n.removeprefix(f"{MARK} ").removesuffix(" Fund").lower()
        for n in found
        if n.startswith(MARK)
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "endowment"}, {"endowment"}),
        ({"type": ["endowment", "insurance"]}, {"endowment", "insurer"}),
        ({"aum_min": "1000", "aum_max": "50000"}, {"pension", "endowment"}),
        (
            {"strategy": "venture/early"},
            {"endowment"},
        ),  # an LP taking all venture takes early stage
        ({"strategy": "private_equity"}, {"pension"}),  # the parent covers its buyout sub-strategy
        (
            {"geography": "SE"},
            {"pension", "family", "insurer"},
        ),  # Nordics, Europe and global cover Sweden
        ({"geography": "north_america"}, {"endowment", "insurer"}),
        ({"check_min": "20", "check_max": "60"}, {"pension", "endowment"}),
        ({"fund_size_min": "5000", "fund_size_max": "8000"}, {"pension", "insurer"}),
        ({"esg": "true"}, {"pension"}),
        ({"esg": "false"}, {"endowment", "insurer"}),
        ({"emerging": "true"}, {"endowment"}),
        ({"looking": "false"}, {"endowment"}),
        ({"quality_min": "0.4"}, {"pension", "endowment", "family", "insurer"}),
        ({"quality_min": "0.6"}, {"insurer"}),  # the only one with a verification date
    ],
)
async def test_each_filter_with_the_keyword(member, params, expected):
    response = await member.get("/lps", params={"q": MARK, **params})
    assert response.status_code == 200
    assert ours(names(response.text)) == expected


@pytest.mark.parametrize(
    ("params", "included", "excluded"),
    [
        ({"type": "endowment"}, "endowment", "pension"),
        ({"esg": "true", "geography": "nordics"}, "pension", "insurer"),
        ({"aum_min": "80000"}, "insurer", "family"),
    ],
)
async def test_filters_alone_search_the_whole_database(member, market, params, included, excluded):
    response = await member.get("/lps", params={**params, "sort": "name"})
    total = int(
        BeautifulSoup(response.text, "html.parser")
        .select_one(".results-header strong")
        .text.replace(",", "")
    )
    assert total >= 1
    everything = set()
    pages = -(-total // 50)
    for page in range(1, min(pages, 200) + 1):
        everything |= names(
            (await member.get("/lps", params={**params, "sort": "name", "page": page})).text
        )
        if f"{MARK} {included.title()} Fund" in everything:
            break
    assert f"{MARK} {included.title()} Fund" in everything
    assert f"{MARK} {excluded.title()} Fund" not in everything


async def test_partial_names_find_lps_by_trigram(member):
    response = await member.get("/lps", params={"q": "calp"})
    assert "California Public Employees' Retirement System (CalPERS)" in names(response.text)


async def test_keyword_matches_mandate_words(member):
    assert ours(names((await member.get("/lps", params={"q": f"{MARK} lending"})).text)) == {
        "insurer"
    }


async def test_an_empty_result_says_which_filter_removed_the_most(member):
    response = await member.get("/lps", params={"q": MARK, "type": "bank", "esg": "true"})
    page = BeautifulSoup(response.text, "html.parser")
    message = " ".join(page.select_one(".empty-state").text.split())
    assert "The LP type filter removed the most: without it, 1 LP match" in message


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999"])
async def test_bad_page_numbers_are_422_not_500(member, page):
    response = await member.get("/lps", params={"page": page})
    assert response.status_code == 422 and "page" in response.text


async def test_pages_past_the_end_and_the_last_page(member):
    last = await member.get("/lps", params={"q": MARK, "page": "1"})
    assert "Page 1 of 1" in last.text and "Next →" not in last.text
    past = await member.get("/lps", params={"q": MARK, "page": "3"})
    assert past.status_code == 200 and "past the end" in past.text and "page=1" in past.text


@pytest.mark.parametrize(
    "param",
    ["q", "semantic", "type", "strategy", "geography", "aum_min", "sort", "esg", "quality_min"],
)
@pytest.mark.parametrize("evil", ["'; drop table lp_profiles; --", "<script>alert(1)</script>"])
async def test_hostile_strings_are_escaped_and_leak_no_sql(member, service, param, evil):
    response = await member.get("/lps", params={param: evil})
    assert response.status_code in (200, 422)
    assert "<script>alert(1)</script>" not in response.text
    assert "'; drop table" not in response.text  # echoed only HTML-escaped (&#39;)
    for leak in (
        "psycopg",
        "Traceback",
        "syntax error",
        "LINE 1",
        "websearch_to_tsquery",
        "p.lp_type",
    ):
        assert leak not in response.text
    assert service.execute("select count(*) from lp_profiles").fetchone()[0] > 0


async def test_unknown_filter_values_name_the_field_and_the_accepted_values(member):
    response = await member.get("/api/v1/lps", params={"strategy": "crypto"})
    body = response.json()
    assert response.status_code == 422 and body["details"][0]["field"] == "query.strategy"
    assert "private_equity/buyout" in body["details"][0]["message"]
    response = await member.get("/api/v1/lps", params={"type": "hedge_fund"})
    assert "'public_pension'" in response.json()["details"][0]["message"]


async def test_keywords_without_letters_match_nothing_and_nul_characters_are_refused(member):
    # Found by schemathesis: both were 500s.
    for q in ("§", "''\"", "-"):
        response = await member.get("/api/v1/lps", params={"q": q})
        assert response.status_code == 200 and response.json()["total"] == 0, q
    page = await member.get("/lps", params={"q": "§"})
    assert page.status_code == 200 and "No LPs match" in page.text
    refused = await member.get("/api/v1/lps", params={"q": "pension\x00"})
    assert refused.status_code == 422
    assert refused.json() == {"error": "Text cannot contain NUL (\\0) characters.",
                              "code": "invalid_value", "details": None}  # fmt: skip


async def test_htmx_gets_only_the_results_block(member):
    response = await member.get("/lps", params={"q": MARK}, headers={"HX-Request": "true"})
    assert "<html" not in response.text and "lp-table" in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_csv_export_streams_the_whole_filtered_result(member, service):
    response = await member.get("/lps/export.csv", params={"q": MARK})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["name"] for r in rows} >= {f"{MARK} Pension Fund", f"{MARK} Insurer Fund"}
    pension = next(r for r in rows if r["name"] == f"{MARK} Pension Fund")
    assert pension["strategies"] == "private_equity/buyout" and pension["esg_required"] == "True"
    everything = await member.get("/lps/export.csv")
    assert (
        len(everything.text.splitlines()) - 1
        == service.execute("select count(*) from lp_profiles where is_active").fetchone()[0]
    )


async def test_csv_export_defuses_formulas(member, service):
    f.make_lp(
        service, org={"name": '=HYPERLINK("http://evil")'}, mandate_text=f"{MARK} formula test"
    )
    response = await member.get("/lps/export.csv", params={"q": "formula test"})
    assert "'=HYPERLINK" in response.text


async def test_the_lp_page_shows_profile_contacts_commitments_and_quality(member, market, service):
    lp = market["ids"]["pension"]
    person = f.make_person(service, full_name="Ingrid Dahl")
    f.make_employment(
        service,
        person_id=person,
        org_id=lp,
        title="Chief Investment Officer",
        is_decision_maker=True,
    )
    f.make_investment(
        service, lp_org_id=lp, fund_name="Fjord Buyout III", vintage_year=2021, amount_musd=75
    )
    page = BeautifulSoup((await member.get(f"/lps/{lp}")).text, "html.parser")
    assert page.find("h1").text == f"{MARK} Pension Fund"
    text = page.get_text(" ")
    assert "Ingrid Dahl" in text and "Chief Investment Officer" in text
    assert "Fjord Buyout III" in text and "$75m" in text
    assert "Missing:" in text and "verification date" in text


async def test_an_unknown_lp_is_404(member):
    response = await member.get("/lps/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


async def test_flag_as_outdated_goes_to_the_admin_queue_once(member, market, service):
    lp = market["ids"]["family"]
    empty = await post_form(member, f"/lps/{lp}/flag", {"reason": " "})
    assert empty.status_code == 422
    done = await post_form(member, f"/lps/{lp}/flag", {"reason": "Moved to Zurich last year"})
    assert "an admin will check" in done.text
    again = await post_form(member, f"/lps/{lp}/flag", {"reason": "Again"})
    assert again.status_code == 409 and "You flagged this LP" in again.text
    assert service.execute(
        "select reason from lp_flags where lp_org_id = %s", (lp,)
    ).fetchall() == [("Moved to Zurich last year",)]
