"""The human review queue: a deal breaker hides the match; a reviewer's decision shows it again."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests import factories as f
from tests.fakes.openrouter import OpenRouterState, Step, openrouter_app
from tests.fakes.server import serve
from tests.helpers import PASSWORD, csrf_token, post_form, running_client, sign_in

FUND = {"name": "Review Credit I", "status": "raising", "strategy": "private_credit/mezzanine",
        "target_size_musd": 300, "geographies": ["north_america"]}  # fmt: skip


def respond(body: dict[str, Any]) -> Step:
    text = body["messages"][-1]["content"]
    if "chair the placement committee" in text:
        return Step(content=json.dumps({
            "score": 55, "confidence": 0.7, "recommendation": "investigate",
            "explanation": "Split.", "talking_points": ["A."], "concerns": ["B."]}))  # fmt: skip
    exclusion = "" if "bull analyst" in text else "Mandate excludes mezzanine debt."
    return Step(content=json.dumps({"score": 70 if exclusion == "" else 40, "confidence": 0.8,
                                    "arguments": ["An argument."], "hard_exclusion": exclusion}))  # fmt: skip


@pytest.fixture
def people(service) -> dict[str, Any]:
    org = f.make_org(service, name=f.unique("Escalating GP"))
    gp = f"{f.unique('gp')}@example.org"
    f.make_user(service, org_id=org, access_role="member", email=gp, password=PASSWORD)
    admin = f"{f.unique('reviewer')}@example.org"
    f.make_user(
        service, is_super_admin=True, email=admin, password=PASSWORD, full_name="Rita Reviewer"
    )
    f.make_lp(service, strategies=["private_credit"], geographies=["north_america"],
              fund_size_min_musd=100, fund_size_max_musd=900)  # fmt: skip
    return {"gp": gp, "admin": admin}


async def api(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    return await client.request(
        method, url, headers={"X-CSRF-Token": await csrf_token(client)}, **kwargs
    )


async def test_a_deal_breaker_is_reviewed_and_the_decision_reaches_the_gp(make_app, people):
    state = OpenRouterState(responder=respond)
    with serve(openrouter_app(state)) as url:
        app = make_app(openrouter_api_key=state.key, openrouter_base_url=f"{url}/api/v1")
        async with running_client(app) as client:
            await sign_in(client, people["gp"])
            fund = (await api(client, "POST", "/api/v1/funds", json=FUND)).json()
            match = (
                await api(client, "GET", f"/api/v1/matches?fund_id={fund['id']}&min_score=0")
            ).json()["items"][0]
            await api(client, "POST", f"/api/v1/matches/{match['id']}/debate")
            assert (await api(client, "GET", f"/api/v1/matches/{match['id']}")).status_code == 404
            await post_form(client, "/logout")

            await sign_in(client, people["admin"])
            queue = await client.get("/admin/escalations")
            assert "Possible deal breaker" in queue.text and FUND["name"] in queue.text
            escalation = (
                await api(client, "GET", "/api/v1/admin/escalations?priority=high")
            ).json()
            item = next(e for e in escalation if e["fund_name"] == FUND["name"])
            page = await client.get(f"/admin/escalations/{item['id']}")
            assert "Round 1" in page.text and "Mandate excludes mezzanine debt." in page.text
            taken = await post_form(client, f"/admin/escalations/{item['id']}/take")
            assert taken.status_code == 303
            short = await post_form(client, f"/admin/escalations/{item['id']}/resolve",
                                    {"score": "150", "reasoning": "too short"})  # fmt: skip
            assert short.status_code == 422 and 'value="150"' in short.text
            done = await post_form(
                client, f"/admin/escalations/{item['id']}/resolve",
                {"score": "62", "reasoning": "The mandate allows mezzanine up to 10% since 2025."},
            )  # fmt: skip
            assert done.status_code == 303
            again = await post_form(client, f"/admin/escalations/{item['id']}/dismiss")
            assert again.status_code == 409
            await post_form(client, "/logout")

            await sign_in(client, people["gp"])
            shown = (await api(client, "GET", f"/api/v1/matches/{match['id']}")).json()
    assert float(shown["score"]) == 62 and shown["recommendation"] == "investigate"
    assert shown["score_breakdown"]["analysis"] == "human-reviewed"
    assert shown["explanation"].startswith("Human review: The mandate allows mezzanine")


async def test_gp_users_cannot_see_the_queue(client, people):
    await sign_in(client, people["gp"])
    assert (await client.get("/admin/escalations")).status_code == 403
    assert (await api(client, "GET", "/api/v1/admin/escalations")).status_code == 403


async def test_an_escalation_is_assigned_to_another_reviewer_but_never_to_a_gp(
    client, service, people
):
    org = f.make_org(service)
    fund = f.make_fund(service, org_id=org)
    debate = f.make_debate(service, fund_id=fund, lp_org_id=f.make_lp(service), status="escalated")
    escalation = f.make_escalation(service, debate_id=debate)
    colleague = f"{f.unique('colleague')}@example.org"
    f.make_user(service, is_super_admin=True, email=colleague, password=PASSWORD,
                full_name="Carl Colleague")  # fmt: skip
    carl = service.execute("select id from people where email = %s", (colleague,)).fetchone()[0]
    gp_person = service.execute(
        "select id from people where email = %s", (people["gp"],)
    ).fetchone()[0]
    await sign_in(client, people["admin"])
    page = await client.get(f"/admin/escalations/{escalation}")
    assert "Carl Colleague" in page.text
    assigned = await post_form(
        client, f"/admin/escalations/{escalation}/assign", {"reviewer": str(carl)}
    )
    assert assigned.status_code == 303
    row = service.execute(
        "select status, assigned_to from agent_escalations where id = %s", (escalation,)
    ).fetchone()
    assert row == ("assigned", carl)
    refused = await api(client, "POST", f"/api/v1/admin/escalations/{escalation}/assign",
                        json={"reviewer": str(gp_person)})  # fmt: skip
    assert refused.status_code == 422 and "platform admin" in refused.json()["error"]
    mine = await api(client, "POST", f"/api/v1/admin/escalations/{escalation}/assign")
    assert mine.status_code == 200 and mine.json()["reviewer"] == "Rita Reviewer"
