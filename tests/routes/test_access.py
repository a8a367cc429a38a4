"""Who may reach what, through the real HTTP path: anonymous callers, viewers, other tenants.

Extend CROSS_TENANT (and the id routes it covers) whenever a route takes another object's id.
"""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import APIRoute

from tests import factories as f
from tests.helpers import PASSWORD, csrf_token, sign_in

PUBLIC = {
    ("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
    ("GET", "/forgot-password"), ("POST", "/forgot-password"), ("GET", "/reset-password"),
    ("POST", "/reset-password"), ("GET", "/invite/{token}"), ("POST", "/invite/{token}"),
    ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh"),
    ("GET", "/api/v1/auth/invite/{token}"), ("POST", "/api/v1/auth/invite/{token}"),
}  # fmt: skip
# Reads sent as POST, and flags on shared LP data: open to every signed-in user, viewers too.
ANY_MEMBER_OF_THE_MARKET = {("POST", "/api/v1/lps/search"), ("POST", "/api/v1/lps/semantic-search"),
                            ("POST", "/lps/{org_id}/flag")}  # fmt: skip
# Routes whose ids name LP market data, which every signed-in user may read.
MARKET_DATA_IDS = {
    ("GET", "/lps/{org_id}"),
    ("POST", "/lps/{org_id}/flag"),
    ("GET", "/api/v1/lps/{org_id}"),
}
# Platform-admin tools: no tenant owns these ids (GP users get 403 before any lookup).
PLATFORM_ONLY = (
    "/admin/organizations",
    "/admin/imports",
    "/api/v1/admin/imports",
    "/admin/weights",
    "/admin/escalations",
    "/admin/batch",
    "/admin/alerts",
    "/api/v1/admin/escalations",
    "/api/v1/admin/scoring-weights",
)
OWN_ACCOUNT = {("POST", "/profile/name"), ("POST", "/profile/password"), ("PATCH", "/api/v1/users/me"),
               ("POST", "/api/v1/auth/logout")}  # fmt: skip
COUNTED = ("organizations", "people", "employment", "invitations", "audit_log", "outbox", "funds",
           "fund_track_records", "fund_lp_matches", "fund_lp_status", "match_feedback", "fund_decks", "agent_debates", "pitches", "pitch_versions",
           "match_outcomes", "pipeline_events", "embeddings")  # fmt: skip


def routes(app) -> list[tuple[str, str]]:
    """(method, path) of every endpoint, looking inside included routers."""
    found, pending = [], list(app.routes)
    while pending:
        route = pending.pop()
        if hasattr(route, "original_router"):  # FastAPI's included-router wrapper
            pending += route.original_router.routes
        elif isinstance(route, APIRoute) and not route.path.startswith("/health"):
            found += [(method, route.path) for method in sorted(route.methods)]
    return sorted(found)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def counts(service) -> dict[str, int]:
    return {t: service.execute(f"select count(*) from {t}").fetchone()[0] for t in COUNTED}  # noqa: S608


@pytest.fixture
def tenants(service):
    world = {}
    for name in ("a", "b"):
        org = f.make_org(service, name=f"Tenant {name.upper()} {f.unique('org')}")
        world[name] = {
            "org": org,
            "org_name": service.execute(
                "select name from organizations where id = %s", (org,)
            ).fetchone()[0],
        }
        for role in ("admin", "member", "viewer"):
            email = f"{role}-{name}-{f.unique('t')}@example.org"
            f.make_user(service, org_id=org, access_role=role, email=email, password=PASSWORD,
                        full_name=f"{role.title()} Of {name.upper()} {f.unique('n')}")  # fmt: skip
            world[name][role] = email
        world[name]["invitation"] = f.make_invitation(
            service, org_id=org, email=f"pending-{name}-{f.unique('i')}@example.org"
        )
        world[name]["member_person"] = service.execute(
            "select id from people where lower(email) = %s", (world[name]["member"],)
        ).fetchone()[0]
        fund = f.make_fund(service, org_id=org, name=f"Secret Fund {name.upper()} {f.unique('f')}")
        lp = f.make_lp(service)
        world[name] |= {
            "fund": fund,
            "fund_name": service.execute(
                "select name from funds where id = %s", (fund,)
            ).fetchone()[0],
            "match": f.make_match(service, fund_id=fund, lp_org_id=lp),
            "deck": f.make_deck(service, fund_id=fund),
            "debate": f.make_debate(service, fund_id=fund, lp_org_id=lp, status="completed"),
            "lp": lp,
        }
        f.make_status(service, fund_id=fund, lp_org_id=lp, interest="not_interested",
                      dismiss_reason="other", stage="gp_passed")  # fmt: skip
        world[name]["pitch"] = f.make_pitch(service, match_id=world[name]["match"])
        f.make_pitch_version(service, pitch_id=world[name]["pitch"])
    return world


async def request(client, method: str, path: str):
    token = await csrf_token(client)
    headers = {"X-CSRF-Token": token}
    if path.startswith("/api/"):
        body = {} if method in ("POST", "PATCH", "PUT") else None
        return await client.request(method, path, json=body, headers=headers)
    return await client.request(
        method, path, data={"csrf_token": token} if method != "GET" else None
    )


async def test_anonymous_requests_are_sent_to_sign_in_and_change_nothing(app, client, service):
    protected = [r for r in routes(app) if r not in PUBLIC]
    assert len(protected) >= 15
    before = counts(service)
    for method, path in protected:
        response = await request(client, method, concrete(path))
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["code"] == "unauthorized"
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next=")
    assert counts(service) == before


async def test_htmx_requests_without_a_session_are_redirected_by_header(client):
    response = await client.get("/team", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["hx-redirect"] == "/login?next=%2Fteam"


async def test_a_viewers_writes_are_refused_and_change_nothing(app, client, service, tenants):
    await sign_in(client, tenants["a"]["viewer"])
    writes = [
        r
        for r in routes(app)
        if r[0] != "GET" and r not in PUBLIC | OWN_ACCOUNT | ANY_MEMBER_OF_THE_MARKET
    ]
    assert writes
    before = counts(service)
    for method, path in writes:
        url = path.replace("{person_id}", str(tenants["a"]["member_person"]))
        url = concrete(url.replace("{invitation_id}", str(tenants["a"]["invitation"])))
        response = await request(client, method, url)
        assert response.status_code == 403, (method, path, response.status_code)
    assert counts(service) == before


CROSS_TENANT = [
    ("POST", "/team/invitations/{invitation}/resend"),
    ("POST", "/team/invitations/{invitation}/revoke"),
    ("POST", "/team/members/{member}/role"),
    ("POST", "/team/members/{member}/deactivate"),
    ("POST", "/api/v1/users/invitations/{invitation}/resend"),
    ("DELETE", "/api/v1/users/invitations/{invitation}"),
    ("PATCH", "/api/v1/users/{member}"),
    ("GET", "/funds/{fund}"),
    ("GET", "/funds/{fund}/edit"),
    ("POST", "/funds/{fund}"),
    ("POST", "/funds/{fund}/status"),
    ("GET", "/funds/{fund}/matches"),
    ("POST", "/funds/{fund}/matches/shortlist"),
    ("GET", "/funds/{fund}/shortlist"),
    ("GET", "/funds/{fund}/shortlist.csv"),
    ("GET", "/api/v1/funds/{fund}"),
    ("PATCH", "/api/v1/funds/{fund}"),
    ("GET", "/matches/{match}"),
    ("GET", "/matches/{match}/gone"),
    ("GET", "/matches/{match}/why"),
    ("POST", "/matches/{match}/interest"),
    ("POST", "/matches/{match}/dismiss"),
    ("POST", "/matches/{match}/restore"),
    ("POST", "/matches/{match}/feedback"),
    ("POST", "/matches/{match}/stage"),
    ("POST", "/matches/{match}/notes"),
    ("POST", "/matches/{match}/outcome"),
    ("POST", "/funds/{fund}/deck"),
    ("GET", "/funds/{fund}/decks/{deck}"),
    ("POST", "/funds/{fund}/decks/{deck}/confirm"),
    ("POST", "/funds/{fund}/decks/{deck}/discard"),
    ("POST", "/api/v1/funds/{fund}/upload-deck"),
    ("POST", "/api/v1/funds/{fund}/decks/{deck}/confirm"),
    ("POST", "/matches/{match}/pitches"),
    ("GET", "/pitches/{pitch}"),
    ("POST", "/pitches/{pitch}"),
    ("GET", "/pitches/{pitch}/pdf"),
    ("GET", "/api/v1/pitches/{pitch}"),
    ("PATCH", "/api/v1/pitches/{pitch}"),
    ("POST", "/matches/{match}/debate"),
    ("GET", "/matches/{match}/debate"),
    ("POST", "/api/v1/matches/{match}/debate"),
    ("GET", "/api/v1/debates/{debate}"),
    ("GET", "/api/v1/matches/{match}"),
    ("PATCH", "/api/v1/matches/{match}"),
]
# What each cross-tenant request sends: valid values, so only the tenancy check can refuse it.
FORM = {
    "role": "admin",
    "name": "Renamed",
    "status": "raising",
    "strategy": "venture/early",
    "target_size_musd": "100",
    "interest": "interested",
    "reason": "other",
    "rating": "1",
    "stage": "lp_reviewing",
    "notes": "x",
    "outcome": "committed",
    "match": "{match}",
}
JSON = {"role": "admin", "name": "Renamed", "rating": 1, "notes": "x", "subject": "S", "body": "B"}  # fmt: skip


async def test_another_orgs_fund_in_a_body_or_query_is_404(client, service, tenants):
    await sign_in(client, tenants["a"]["member"])
    b = tenants["b"]
    before = counts(service)
    token = await csrf_token(client)
    generated = await client.post(
        "/api/v1/matches/generate",
        json={"fund_id": str(b["fund"])},
        headers={"X-CSRF-Token": token},
    )
    listed = await client.get(f"/api/v1/matches?fund_id={b['fund']}")
    for response in (generated, listed):
        assert response.status_code == 404, response.text
        assert b["fund_name"] not in response.text
    assert counts(service) == before


@pytest.mark.parametrize(("method", "path"), CROSS_TENANT)
async def test_another_orgs_objects_are_404_and_leak_nothing(
    client, service, tenants, method, path
):
    await sign_in(client, tenants["a"]["admin"])
    b = tenants["b"]
    ids = {"{invitation}": b["invitation"], "{member}": b["member_person"], "{fund}": b["fund"],
           "{match}": b["match"], "{deck}": b["deck"], "{debate}": b["debate"], "{pitch}": b["pitch"]}  # fmt: skip
    url = path
    for placeholder, value in ids.items():
        url = url.replace(placeholder, str(value))
    before = counts(service)
    token = await csrf_token(client)
    if url.startswith("/api/"):
        body = (
            JSON if method == "PATCH" else ({"fields": {"name": "x"}} if "confirm" in url else None)
        )
        response = await client.request(method, url, json=body, headers={"X-CSRF-Token": token})
    else:
        form = {k: v.replace("{match}", str(b["match"])) for k, v in FORM.items()}
        response = await client.request(method, url, data={"csrf_token": token, **form})
    assert response.status_code == 404, response.text
    for secret in (b["org_name"], b["member"], b["admin"], str(b["org"]), b["fund_name"]):
        assert secret not in response.text
    assert counts(service) == before


def test_every_route_with_an_id_is_covered_by_the_cross_tenant_test(app):
    with_ids = {
        (m, p)
        for m, p in routes(app)
        if re.search(r"\{(?!token)", p) and not p.startswith(PLATFORM_ONLY)
    } - MARKET_DATA_IDS
    names = {
        "invitation": "{invitation_id}",
        "member": "{person_id}",
        "fund": "{fund_id}",
        "match": "{match_id}",
        "deck": "{deck_id}",
        "debate": "{debate_id}",
        "pitch": "{pitch_id}",
    }
    covered = {(m, re.sub(r"\{(invitation|member|fund|match|deck|debate|pitch)\}", lambda x: names[x.group(1)], p))
               for m, p in CROSS_TENANT}  # fmt: skip
    assert with_ids <= covered, with_ids - covered
