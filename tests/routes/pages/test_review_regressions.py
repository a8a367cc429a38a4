"""Edge cases found in review of the funds, matching and pipeline code: each once a 500, a lost
value, a stuck row or a leak."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from src.storage import LocalStorage
from tests import factories as f
from tests.fakes.pdf import DECK, bomb_pdf, encrypted, text_pdf
from tests.helpers import PASSWORD, csrf_token, post_form, sign_in


@pytest.fixture
def gp(service) -> dict[str, Any]:
    org = f.make_org(service, name=f.unique("Review GP"))
    email = f"{f.unique('rv')}@example.org"
    f.make_user(service, org_id=org, access_role="member", email=email, password=PASSWORD)
    return {"org": org, "email": email}


async def api(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    return await client.request(
        method, url, headers={"X-CSRF-Token": await csrf_token(client)}, **kwargs
    )


FUND = {"name": "Review Fund I", "status": "raising", "strategy": "venture/early",
        "target_size_musd": 120, "geographies": ["asia_pacific"]}  # fmt: skip


def lp(service, **profile: Any):
    defaults = {"strategies": ["venture"], "geographies": ["asia_pacific"],
                "region": "asia_pacific", "fund_size_min_musd": 50, "fund_size_max_musd": 400}  # fmt: skip
    return f.make_lp(service, **{**defaults, **profile})


async def test_a_name_only_draft_does_not_break_the_dashboard(client, gp):
    await sign_in(client, gp["email"])
    created = await api(client, "POST", "/api/v1/funds", json={"name": "Just a name"})
    assert created.status_code == 201
    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200 and "No strategy yet" in dashboard.text


async def test_sizes_that_round_to_zero_are_refused(client, gp):
    await sign_in(client, gp["email"])
    response = await api(client, "POST", "/api/v1/funds", json={**FUND, "target_size_musd": 0.001})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "body.target_size_musd"


async def test_an_lp_we_acted_on_that_stops_passing_is_rescored_and_marked(client, service, gp):
    mine = lp(service)
    await sign_in(client, gp["email"])
    fund = (await api(client, "POST", "/api/v1/funds", json=FUND)).json()
    listed = await api(client, "GET", f"/api/v1/matches?fund_id={fund['id']}&min_score=0&limit=200")
    match = next(m for m in listed.json()["items"] if m["lp_org_id"] == str(mine))
    await api(client, "PATCH", f"/api/v1/matches/{match['id']}", json={"interest": "interested"})
    service.execute(
        "update lp_profiles set strategies = '{secondaries}' where org_id = %s", (mine,)
    )
    again = await api(client, "GET", f"/api/v1/matches?fund_id={fund['id']}&min_score=0&limit=200")
    assert again.status_code == 200 and not again.json()["stale"]
    kept = next(m for m in again.json()["items"] if m["lp_org_id"] == str(mine))
    assert kept["recommendation"] == "avoid"
    assert kept["score_breakdown"]["excluded_by"] == ["Strategy not in the LP's mandate"]
    assert kept["concerns"][0].startswith("No longer passes the hard filters")
    expired = service.execute(
        "select count(*) from fund_lp_matches where fund_id = %s and valid_until <= now()",
        (fund["id"],),
    ).fetchone()[0]
    assert expired == 0


async def test_a_person_in_two_orgs_acts_only_for_their_current_one(client, service, gp):
    other = f.make_org(service, name=f.unique("Second GP"))
    fund_b = f.make_fund(service, org_id=other, name="Second org fund")
    person = service.execute(
        "select id from people where lower(email) = %s", (gp["email"],)
    ).fetchone()[0]
    f.make_employment(service, person_id=person, org_id=other, access_role="viewer")
    await sign_in(client, gp["email"])
    for response in (
        await client.get(f"/funds/{fund_b}/matches"),
        await api(client, "GET", f"/api/v1/matches?fund_id={fund_b}"),
        await api(client, "POST", "/api/v1/matches/generate", json={"fund_id": str(fund_b)}),
    ):
        assert response.status_code == 404, response.text


async def test_pipeline_keeps_stages_and_next_steps_consistent(client, service, gp):
    lp(service)
    await sign_in(client, gp["email"])
    fund = (await api(client, "POST", "/api/v1/funds", json=FUND)).json()
    match = (await api(client, "GET", f"/api/v1/matches?fund_id={fund['id']}&min_score=0")).json()[
        "items"
    ][0]
    url = f"/api/v1/matches/{match['id']}"
    await api(client, "PATCH", url, json={"interest": "pursuing"})
    await api(client, "PATCH", url, json={"stage": "mutual_interest", "next_step": "Call Monday"})
    await api(client, "PATCH", url, json={"stage": "in_diligence"})  # no next step given
    await post_form(client, f"/matches/{match['id']}/notes", {"notes": "Warm intro via Ana",
                                                              "next_step": "Call Monday"})  # fmt: skip
    row = (await api(client, "GET", url)).json()
    assert (row["stage"], row["next_step"], row["notes"]) == (
        "in_diligence", "Call Monday", "Warm intro via Ana"
    )  # fmt: skip
    detail = await client.get(f"/matches/{match['id']}")
    assert 'value="Call Monday"' in detail.text

    for reason in ("other", "already_in_contact"):  # dismissed twice
        await api(client, "PATCH", url, json={"interest": "not_interested",
                                              "dismiss_reason": reason})  # fmt: skip
    outcome = await post_form(client, f"/matches/{match['id']}/outcome", {"outcome": "committed"})
    assert outcome.status_code == 409
    restored = await post_form(client, f"/matches/{match['id']}/restore")
    assert restored.status_code == 303
    assert (await api(client, "GET", url)).json()["stage"] == "in_diligence"
    committed = await post_form(
        client, f"/matches/{match['id']}/outcome", {"outcome": "committed", "amount_musd": "NaN"}
    )
    assert committed.status_code == 422
    await post_form(client, f"/matches/{match['id']}/outcome", {"outcome": "committed",
                                                                "amount_musd": "10"})  # fmt: skip
    final = (await api(client, "GET", url)).json()
    assert (final["stage"], final["interest"]) == ("invested", "pursuing")
    assert (await api(client, "PATCH", url, json={"interest": "interested"})).status_code == 409


async def test_a_global_fund_shares_a_geography_with_every_lp(client, service, gp):
    regional = lp(service, geographies=["middle_east_africa"], region="middle_east_africa")
    await sign_in(client, gp["email"])
    fund = (
        await api(client, "POST", "/api/v1/funds", json={**FUND, "geographies": ["global"]})
    ).json()
    found = await api(
        client, "POST", "/api/v1/matches/generate",
        json={"fund_id": fund["id"], "min_score": 0, "limit": 200},
    )  # fmt: skip
    assert str(regional) in {m["lp_org_id"] for m in found.json()["items"]}


async def test_odd_inputs_are_422_not_500(client, service, gp):
    await sign_in(client, gp["email"])
    fund = (
        await api(client, "POST", "/api/v1/funds", json={**FUND, "name": "Æsir Ventures 日本"})
    ).json()
    assert (await client.get(f"/funds/{fund['id']}/matches?page=500")).status_code == 422
    exported = await client.get(f"/funds/{fund['id']}/shortlist.csv")
    assert exported.status_code == 200 and "filename=" in exported.headers["content-disposition"]
    odd_rows = await post_form(client, "/funds", {"name": "Rows", "track_rows": "abc"})
    assert odd_rows.status_code == 303
    admin = f"{f.unique('ops')}@example.org"
    f.make_user(service, is_super_admin=True, email=admin, password=PASSWORD)
    await post_form(client, "/logout")
    await sign_in(client, admin)
    for form in ({"kind": "rule", "sector": "", "size": "abc"}, {"kind": "magic"}):
        response = await post_form(client, "/admin/weights", form)
        assert response.status_code == 422, form


async def test_decks_that_are_odd_but_fine_are_read_and_storage_failures_are_503(
    app, client, service, gp, tmp_path
):
    await sign_in(client, gp["email"])
    fund = (await api(client, "POST", "/api/v1/funds", json={"name": "Deck edge cases"})).json()
    url = f"/api/v1/funds/{fund['id']}/upload-deck"
    restricted = encrypted(text_pdf(DECK), "", owner="owner-only")
    accepted = await client.post(
        url, files={"file": ("restricted.pdf", restricted, "application/pdf")},
        headers={"X-CSRF-Token": await csrf_token(client)},
    )  # fmt: skip
    assert accepted.status_code == 201, accepted.text
    bomb = await client.post(
        url, files={"file": ("bomb.pdf", bomb_pdf(), "application/pdf")},
        headers={"X-CSRF-Token": await csrf_token(client)},
    )  # fmt: skip
    assert bomb.status_code in (201, 422), bomb.text
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    app.state.storage = LocalStorage(blocker)
    before = service.execute("select count(*) from fund_decks").fetchone()[0]
    failed = await client.post(
        url, files={"file": ("deck.pdf", text_pdf(DECK), "application/pdf")},
        headers={"X-CSRF-Token": await csrf_token(client)},
    )  # fmt: skip
    assert failed.status_code == 503 and "nothing was saved" in failed.json()["error"]
    assert service.execute("select count(*) from fund_decks").fetchone()[0] == before
