"""The matching engine through the API: hard filters, scores, breakdowns, freshness, tenancy.

The session database is shared, so each test builds a fund in a corner of the market (a rare
strategy and region) and asserts about its own LPs only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import psycopg
import pytest

from src.services.matching import engine
from tests import factories as f
from tests.helpers import PASSWORD, csrf_token, sign_in


@pytest.fixture
def member(service) -> dict[str, Any]:
    org = f.make_org(service, name=f.unique("Matching GP"))
    email = f"{f.unique('m')}@example.org"
    f.make_user(service, org_id=org, access_role="member", email=email, password=PASSWORD)
    return {"org": org, "email": email}


async def api(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    headers = {"X-CSRF-Token": await csrf_token(client)}
    return await client.request(method, url, headers=headers, **kwargs)


def lp(service, **profile: Any) -> uuid.UUID:
    """An LP in the corner of the market the tests use: infrastructure in Latin America."""
    defaults = {
        "strategies": ["real_assets"],
        "geographies": ["latin_america"],
        "region": "latin_america",
        "fund_size_min_musd": 100,
        "fund_size_max_musd": 2000,
        "check_size_min_musd": 10,
        "check_size_max_musd": 40,
        "min_track_record_years": 3,
        "esg_required": False,
    }
    return f.make_lp(service, **{**defaults, **profile})


FUND = {
    "name": "Andes Infrastructure Partners II",
    "status": "raising",
    "strategy": "real_assets/infrastructure",
    "target_size_musd": 500,
    "geographies": ["latin_america"],
    "sectors": ["energy_transition", "logistics"],
    "thesis": "Core-plus infrastructure in Latin America: renewables, ports and toll roads.",
    "has_esg_policy": False,
    "track_records": [{"name": "Andes Infrastructure Partners I", "vintage_year": 2020,
                       "size_musd": 300, "net_irr_pct": 14.2, "tvpi": 1.7}],
}  # fmt: skip


async def create_fund(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await api(client, "POST", "/api/v1/funds", json={**FUND, **changes})
    assert response.status_code == 201, response.text
    return response.json()


async def generate(client: httpx.AsyncClient, fund_id: str, **body: Any) -> dict[str, Any]:
    payload = {"fund_id": fund_id, "min_score": 0, "limit": 200, **body}
    response = await api(client, "POST", "/api/v1/matches/generate", json=payload)
    assert response.status_code == 200, response.text
    return response.json()


async def test_hard_filters_exclude_each_misfit_and_keep_the_borderline(client, service, member):
    kept = {
        "parent strategy": lp(service),
        "exact sub-strategy": lp(service, strategies=["real_assets/infrastructure"]),
        "fund size at the LP's maximum": lp(service, fund_size_max_musd=500),
        "track record at the LP's minimum": lp(service, min_track_record_years=6),
        "nothing known": lp(
            service,
            strategies=[],
            geographies=[],
            fund_size_min_musd=None,
            fund_size_max_musd=None,
            check_size_min_musd=None,
            check_size_max_musd=None,
            min_track_record_years=None,
            esg_required=None,
        ),
        "country inside the region": lp(service, geographies=["CL"]),
    }
    excluded = {
        "other strategy": lp(service, strategies=["venture"]),
        "sibling sub-strategy": lp(service, strategies=["real_assets/real_estate"]),
        "no common geography": lp(service, geographies=["nordics"]),
        "fund too small for the LP": lp(service, fund_size_min_musd=600),
        "fund too big for the LP": lp(service, fund_size_max_musd=499),
        "track record too short": lp(service, min_track_record_years=7),
        "requires ESG": lp(service, esg_required=True),
        "inactive": lp(service, is_active=False),
    }
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    found = {m["lp_org_id"] for m in (await generate(client, fund["id"]))["items"]}
    for why, lp_id in kept.items():
        assert str(lp_id) in found, why
    for why, lp_id in excluded.items():
        assert str(lp_id) not in found, why


async def test_scores_are_sorted_bounded_and_the_breakdown_adds_up(client, service, member):
    for _ in range(4):
        lp(service, sectors=["logistics"], aum_musd=9000)
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    result = await generate(client, fund["id"])
    items = result["items"]
    assert len(items) >= 4 and result["analysis"] == "rule-based"
    scores = [float(m["score"]) for m in items]
    assert scores == sorted(scores, reverse=True)
    rule = await api(client, "GET", "/api/v1/funds")
    assert rule.status_code == 200
    for m in items:
        assert 0 <= float(m["score"]) <= 100
        factors = m["score_breakdown"]["factors"]
        assert [x["factor"] for x in factors] == [
            "sector",
            "size",
            "track_record",
            "esg",
            "semantic",
        ]
        assert sum(x["weight"] for x in factors) == 100
        for x in factors:
            assert x["contribution"] == pytest.approx(x["weight"] * x["score"] / 100, abs=0.06)
            assert x["facts"] and all(isinstance(fact, str) and fact for fact in x["facts"])
        assert sum(x["contribution"] for x in factors) == pytest.approx(
            float(m["rule_score"]), abs=0.06
        )
        assert 3 <= len(m["talking_points"]) <= 5 and 3 <= len(m["concerns"]) <= 5
        assert m["recommendation"] in ("pursue", "investigate", "deprioritize", "avoid")
        assert 0 <= float(m["confidence"]) <= 1
        assert m["weights_version"] and m["model_version"] == "rules-v1"
        assert m["lp_name"] in m["explanation"] and FUND["name"] in m["explanation"]


async def test_missing_lp_data_scores_fifty_and_is_marked(client, service, member):
    blank = lp(service, sectors=[], esg_required=None, min_track_record_years=None)
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    match = next(
        m for m in (await generate(client, fund["id"]))["items"] if m["lp_org_id"] == str(blank)
    )
    factors = {x["factor"]: x for x in match["score_breakdown"]["factors"]}
    assert factors["sector"]["no_data"] and factors["sector"]["score"] == 50
    assert factors["esg"]["no_data"] and factors["esg"]["score"] == 50
    assert not factors["size"]["no_data"]


async def test_generating_twice_keeps_one_row_per_fund_and_lp(client, service, member):
    lp(service)
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    first = await generate(client, fund["id"])
    second = await generate(client, fund["id"])
    rows = service.execute(
        "select count(*), count(distinct lp_org_id) from fund_lp_matches where fund_id = %s",
        (fund["id"],),
    ).fetchone()
    assert rows[0] == rows[1] == first["total"] == second["total"]


async def test_min_score_limit_and_filters_narrow_the_result(client, service, member):
    for _ in range(3):
        lp(service, lp_type="endowment")
    lp(service, lp_type="family_office")
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    everything = await generate(client, fund["id"])
    top = await generate(client, fund["id"], limit=2)
    assert [m["id"] for m in top["items"]] == [m["id"] for m in everything["items"][:2]]
    floor = float(everything["items"][1]["score"])
    above = await generate(client, fund["id"], min_score=floor)
    assert all(float(m["score"]) >= floor for m in above["items"])
    listed = await api(
        client, "GET", f"/api/v1/matches?fund_id={fund['id']}&type=endowment&limit=200"
    )
    assert listed.status_code == 200
    assert listed.json()["items"] and {m["lp_type"] for m in listed.json()["items"]} == {
        "endowment"
    }


async def test_changing_the_fund_or_an_lp_expires_exactly_its_matches(client, service, member):
    mine, other = lp(service), lp(service)
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    second = await create_fund(client, name="Andes Infrastructure Partners III")
    await generate(client, fund["id"])
    await generate(client, second["id"])

    def expired(fund_id: str) -> dict[str, bool]:
        rows = service.execute(
            "select lp_org_id::text, valid_until <= now() from fund_lp_matches where fund_id = %s",
            (fund_id,),
        ).fetchall()
        return dict(rows)

    assert not any(expired(fund["id"]).values())
    service.execute("update lp_profiles set min_track_record_years = 4 where org_id = %s", (mine,))
    for fund_id in (fund["id"], second["id"]):
        states = expired(fund_id)
        assert states[str(mine)] and not states[str(other)]
    patched = await api(client, "PATCH", f"/api/v1/funds/{second['id']}", json={"thesis": "New"})
    assert patched.status_code == 200 and patched.json()["matching"]["stored"] >= 2
    # The change expired the second fund's matches and the rescoring made them fresh again.
    assert not any(expired(second["id"]).values())
    assert expired(fund["id"])[str(mine)]
    # The next view recomputes the expired ones.
    listed = await api(client, "GET", f"/api/v1/matches?fund_id={fund['id']}&limit=200")
    assert listed.status_code == 200 and not listed.json()["stale"]
    assert not any(expired(fund["id"]).values())


async def test_draft_funds_are_never_matched(client, service, member):
    lp(service)
    await sign_in(client, member["email"])
    draft = await create_fund(client, status="draft", strategy=None, target_size_musd=None)
    assert draft["matching"] is None
    response = await api(client, "POST", "/api/v1/matches/generate", json={"fund_id": draft["id"]})
    assert (
        response.status_code == 409 and "Draft funds are never matched" in response.json()["error"]
    )
    count = service.execute(
        "select count(*) from fund_lp_matches where fund_id = %s", (draft["id"],)
    ).fetchone()[0]
    assert count == 0


async def test_why_no_matches_counts_what_each_hard_filter_excludes_on_its_own(
    service, migrated_db, member
):
    fund = f.make_fund(
        service, org_id=member["org"], strategy="secondaries", geographies=["middle_east_africa"]
    )
    async with await psycopg.AsyncConnection.connect(migrated_db.admin_url) as conn:
        why = await engine.why_no_matches(conn, fund, today=date(2026, 11, 27))
    counts = {e.filter: e.excluded for e in why}
    expected = service.execute(
        """select count(*) filter (where not (cardinality(strategies) = 0
                                             or strategies && array['secondaries'])),
                  count(*) filter (where not is_active),
                  count(*) filter (where fund_size_min_musd > 500 or fund_size_max_musd < 500)
           from lp_profiles"""
    ).fetchone()
    assert counts["strategy"] == expected[0] > 0
    assert counts.get("active", 0) == expected[1]
    assert counts.get("fund_size", 0) == expected[2]
    assert [e.excluded for e in why] == sorted((e.excluded for e in why), reverse=True)


async def test_fund_validation_names_each_bad_field(client, member):
    await sign_in(client, member["email"])
    bad = {
        **FUND,
        "strategy": "crypto",
        "target_size_musd": -5,
        "geographies": ["atlantis"],
        "track_records": [{"name": "Old", "vintage_year": 1970}],
    }
    response = await api(client, "POST", "/api/v1/funds", json=bad)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["details"]}
    assert {"body.strategy", "body.target_size_musd", "body.geographies"} <= fields
    assert any("vintage_year" in field for field in fields)
    capped = await api(
        client,
        "POST",
        "/api/v1/funds",
        json={**FUND, "target_size_musd": 500, "hard_cap_musd": 400},
    )
    assert capped.status_code == 422
    assert capped.json()["details"] == [
        {"field": "hard_cap_musd", "message": "The hard cap must not be below the target size."}
    ]
    unpublishable = await api(
        client, "POST", "/api/v1/funds", json={"name": "Half a fund", "status": "raising"}
    )
    assert unpublishable.status_code == 422
    assert {d["field"] for d in unpublishable.json()["details"]} == {"strategy", "target_size_musd"}


async def test_feedback_and_pipeline_through_patch(client, service, member):
    lp(service)
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    match = (await generate(client, fund["id"]))["items"][0]
    url = f"/api/v1/matches/{match['id']}"
    liked = await api(client, "PATCH", url, json={"rating": 1, "comment": "Known team"})
    assert liked.status_code == 200 and liked.json()["my_rating"] == 1
    shortlisted = await api(client, "PATCH", url, json={"interest": "pursuing"})
    assert shortlisted.json()["stage"] == "gp_pursuing"
    bad_stage = await api(client, "PATCH", url, json={"stage": "married"})
    assert bad_stage.status_code == 422 and bad_stage.json()["details"][0]["field"] == "stage"
    backwards = await api(client, "PATCH", url, json={"stage": "gp_interested"})
    assert backwards.status_code == 409
    moved = await api(client, "PATCH", url, json={"stage": "mutual_interest", "next_step": "IC"})
    assert moved.json()["stage"] == "mutual_interest"
    no_reason = await api(client, "PATCH", url, json={"interest": "not_interested"})
    assert no_reason.status_code == 422
    events = service.execute(
        "select kind, to_stage from pipeline_events where fund_id = %s order by id", (fund["id"],)
    ).fetchall()
    assert events == [("feedback", None), ("interest", "gp_pursuing"), ("stage", "mutual_interest")]
    audited = service.execute(
        "select count(*) from audit_log where action like 'pipeline.%%' and entity_id like %s",
        (f"{fund['id']}:%",),
    ).fetchone()[0]
    assert audited == 2


async def test_a_viewer_reads_matches_but_cannot_generate(client, service, member):
    viewer = f"{f.unique('v')}@example.org"
    f.make_user(
        service, org_id=member["org"], access_role="viewer", email=viewer, password=PASSWORD
    )
    lp(service)
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await sign_in(client, viewer)
    listed = await api(client, "GET", f"/api/v1/matches?fund_id={fund['id']}")
    assert listed.status_code == 200 and listed.json()["items"]
    refused = await api(client, "POST", "/api/v1/matches/generate", json={"fund_id": fund["id"]})
    assert refused.status_code == 403
    assert datetime.now(UTC)  # the clock is real time in these tests


async def test_a_new_mandate_vector_expires_that_lps_matches(client, service, member):
    mine, other = lp(service), lp(service)
    await sign_in(client, member["email"])
    fund = await create_fund(client)
    await generate(client, fund["id"])
    f.make_embedding(service, entity_id=mine, model=f.unique("model"))
    rows = dict(
        service.execute(
            "select lp_org_id, valid_until <= now() from fund_lp_matches where fund_id = %s"
            " and lp_org_id = any(%s)",
            (fund["id"], [mine, other]),
        ).fetchall()
    )
    assert rows == {mine: True, other: False}
