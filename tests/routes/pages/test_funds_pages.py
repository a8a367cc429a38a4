"""Fund and match pages over HTTP: forms keep input, htmx fragments, shortlist, outreach."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests import factories as f
from tests.helpers import PASSWORD, csrf_token, post_form, sign_in

FORM = {
    "name": "Tundra Growth II",
    "status": "raising",
    "strategy": "private_equity/growth",
    "target_size_musd": "300",
    "hard_cap_musd": "350",
    "geographies": "nordics",
    "countries": "DE, fr",
    "sectors": "technology",
    "thesis": "Growth equity for Nordic and Baltic software companies.",
    "track-0-name": "Tundra Growth I",
    "track-0-vintage_year": "2019",
    "track-0-size_musd": "150",
    "track-0-tvpi": "1.9",
}


@pytest.fixture
def gp(service) -> dict[str, Any]:
    org = f.make_org(service, name=f.unique("Tundra GP"))
    email = f"{f.unique('gp')}@example.org"
    f.make_user(service, org_id=org, access_role="member", email=email, password=PASSWORD)
    for _ in range(3):
        f.make_lp(service, strategies=["private_equity/growth"], geographies=["nordics"],
                  sectors=["technology"], fund_size_min_musd=100, fund_size_max_musd=900)  # fmt: skip
    return {"org": org, "email": email}


def fund_id_from(response: httpx.Response) -> uuid.UUID:
    match = re.search(r"/funds/([0-9a-f-]{36})", response.headers["location"])
    assert match, response.headers.get("location")
    return uuid.UUID(match.group(1))


async def test_a_bad_fund_form_keeps_every_value_and_names_the_fields(client, gp, service):
    await sign_in(client, gp["email"])
    before = service.execute("select count(*) from funds").fetchone()[0]
    bad = {**FORM, "hard_cap_musd": "200", "countries": "DE, XX", "track-0-vintage_year": "1970",
           "name": "<script>alert(1)</script> Fund"}  # fmt: skip
    response = await post_form(client, "/funds", bad)
    assert response.status_code == 422
    page = response.text
    assert "Unknown geography XX;" in page
    assert "Input should be greater than or equal to 1980" in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt; Fund"' in page
    assert "<script>alert(1)</script>" not in page
    assert 'value="Tundra Growth I"' in page and "Growth equity for Nordic" in page
    assert service.execute("select count(*) from funds").fetchone()[0] == before
    capped = await post_form(client, "/funds", {**FORM, "hard_cap_musd": "200"})
    assert (
        capped.status_code == 422
        and "The hard cap must not be below the target size." in capped.text
    )


async def test_create_edit_publish_and_close_a_fund(client, gp, service):
    await sign_in(client, gp["email"])
    created = await post_form(client, "/funds", {**FORM, "status": "draft"})
    assert created.status_code == 303
    fund_id = fund_id_from(created)
    row = service.execute(
        "select status, geographies, sectors from funds where id = %s", (fund_id,)
    ).fetchone()
    assert row == ("draft", ["nordics", "DE", "FR"], ["technology"])
    assert (
        service.execute(
            "select count(*) from fund_lp_matches where fund_id = %s", (fund_id,)
        ).fetchone()[0]
        == 0
    )
    matches_page = await client.get(f"/funds/{fund_id}/matches")
    assert "Drafts are never matched" in matches_page.text

    edit = await client.get(f"/funds/{fund_id}/edit")
    assert 'value="Tundra Growth I"' in edit.text and 'value="DE, FR"' in edit.text
    published = await post_form(client, f"/funds/{fund_id}/status", {"status": "raising"})
    assert published.status_code == 303
    count = service.execute(
        "select count(*) from fund_lp_matches where fund_id = %s", (fund_id,)
    ).fetchone()[0]
    assert count >= 3
    listing = await client.get(f"/funds/{fund_id}/matches?min_score=0")
    assert listing.status_code == 200 and listing.text.count('class="card match-card') >= 3

    closed = await post_form(client, f"/funds/{fund_id}/status", {"status": "closed"})
    assert closed.status_code == 303
    reopened = await post_form(client, f"/funds/{fund_id}/status", {"status": "raising"})
    assert reopened.status_code == 409 and "cannot be reopened" in reopened.text
    bogus = await post_form(client, f"/funds/{fund_id}/status", {"status": "open"})
    assert bogus.status_code == 422


async def test_publishing_an_incomplete_draft_says_what_is_missing(client, gp, service):
    await sign_in(client, gp["email"])
    created = await post_form(client, "/funds", {"name": "Bare Fund", "status": "draft"})
    fund_id = fund_id_from(created)
    response = await post_form(client, f"/funds/{fund_id}/status", {"status": "raising"})
    assert response.status_code == 422
    assert "Choose a strategy to publish the fund." in response.text
    assert "Enter a target size to publish the fund." in response.text
    assert service.execute("select status from funds where id = %s", (fund_id,)).fetchone() == (
        "draft",
    )


async def published_fund(client: httpx.AsyncClient) -> uuid.UUID:
    return fund_id_from(await post_form(client, "/funds", FORM))


async def first_match(service, fund_id: uuid.UUID) -> uuid.UUID:
    return service.execute(
        "select id from fund_lp_matches where fund_id = %s order by score desc limit 1", (fund_id,)
    ).fetchone()[0]


async def test_dismiss_answers_htmx_with_an_undo_and_undo_restores(client, gp, service):
    await sign_in(client, gp["email"])
    fund_id = await published_fund(client)
    match_id = await first_match(service, fund_id)
    headers = {"HX-Request": "true", "HX-Target": f"match-{match_id}",
               "X-CSRF-Token": await csrf_token(client)}  # fmt: skip
    no_reason = await client.post(
        f"/matches/{match_id}/dismiss", data={"reason": ""}, headers=headers
    )
    assert "Choose why you pass" in no_reason.text or "Unknown reason" in no_reason.text
    dismissed = await client.post(
        f"/matches/{match_id}/dismiss", data={"reason": "already_in_contact"}, headers=headers
    )
    assert dismissed.status_code == 200
    assert "Undo" in dismissed.text and 'hx-trigger="load delay:10s"' in dismissed.text
    gone = await client.get(f"/matches/{match_id}/gone")
    assert gone.status_code == 200 and gone.text == ""
    default_list = await client.get(f"/funds/{fund_id}/matches?min_score=0")
    assert str(match_id) not in default_list.text
    restored = await client.post(f"/matches/{match_id}/restore", headers=headers)
    assert restored.status_code == 200 and "Shortlist" in restored.text
    assert (await client.get(f"/matches/{match_id}/gone")).status_code == 204
    stage = service.execute(
        "select stage, interest from fund_lp_status where fund_id = %s", (fund_id,)
    ).fetchone()
    assert stage == ("recommended", None)


async def test_bulk_shortlist_then_shortlist_page_csv_outreach_and_dashboard(client, gp, service):
    await sign_in(client, gp["email"])
    fund_id = await published_fund(client)
    ids = [r[0] for r in service.execute(
        "select id from fund_lp_matches where fund_id = %s order by score desc limit 2", (fund_id,)
    ).fetchall()]  # fmt: skip
    token = await csrf_token(client)
    response = await client.post(
        f"/funds/{fund_id}/matches/shortlist",
        content=urlencode([("csrf_token", token), ("match", str(ids[0])), ("match", str(ids[1]))]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303 and "shortlisted=2" in response.headers["location"]
    await post_form(
        client, f"/matches/{ids[0]}/notes", {"notes": "=HYPERLINK(evil)", "next_step": "Call"}
    )
    page = await client.get(f"/funds/{fund_id}/shortlist")
    assert page.text.count("<tr>") == 3  # header + two LPs
    assert page.text.count('class="inline-form outcome-form"') == 2
    recorded = await post_form(
        client, f"/matches/{ids[1]}/outcome?next=/funds/{fund_id}/shortlist",
        {"outcome": "no_response"},
    )  # fmt: skip
    assert recorded.headers["location"] == f"/funds/{fund_id}/shortlist"
    exported = await client.get(f"/funds/{fund_id}/shortlist.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 2 and {r["stage"] for r in rows} == {"gp_interested", "lp_passed"}
    assert "'=HYPERLINK(evil)" in {r["notes"] for r in rows}
    outreach = await client.get("/outreach")
    assert outreach.status_code == 200 and outreach.text.count(f'/funds/{fund_id}"') == 2
    dashboard = await client.get("/dashboard")
    assert "Recent activity" in dashboard.text and "shortlisted" in dashboard.text


async def test_outcome_and_stage_errors_keep_the_page(client, gp, service):
    await sign_in(client, gp["email"])
    fund_id = await published_fund(client)
    match_id = await first_match(service, fund_id)
    bad_amount = await post_form(
        client, f"/matches/{match_id}/outcome", {"outcome": "committed", "amount_musd": "lots"}
    )
    assert bad_amount.status_code == 422 and 'value="lots"' in bad_amount.text
    bad_stage = await post_form(client, f"/matches/{match_id}/stage", {"stage": "married"})
    assert bad_stage.status_code == 422 and "Unknown stage" in bad_stage.text
    done = await post_form(
        client, f"/matches/{match_id}/outcome", {"outcome": "committed", "amount_musd": "25"}
    )
    assert done.status_code == 303
    row = service.execute(
        "select o.outcome, o.amount_musd, s.stage from match_outcomes o join fund_lp_status s"
        " using (fund_id, lp_org_id) where o.fund_id = %s",
        (fund_id,),
    ).fetchone()
    assert row[0] == "committed" and float(row[1]) == 25 and row[2] == "invested"


async def test_a_viewer_sees_funds_but_no_write_buttons(client, gp, service):
    await sign_in(client, gp["email"])
    fund_id = await published_fund(client)
    await post_form(client, "/logout")
    viewer = f"{f.unique('viewer')}@example.org"
    f.make_user(service, org_id=gp["org"], access_role="viewer", email=viewer, password=PASSWORD)
    await sign_in(client, viewer)
    page = await client.get(f"/funds/{fund_id}/matches?min_score=0")
    assert page.status_code == 200 and "match-card" in page.text
    assert "Shortlist selected" not in page.text and "Dismiss because" not in page.text
    refused = await post_form(client, "/funds", FORM)
    assert refused.status_code == 403
