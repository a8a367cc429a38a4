"""Full analysis: the debate's paths against a fake OpenRouter, and offline without a key."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests import factories as f
from tests.fakes.openrouter import OpenRouterState, Step, openrouter_app
from tests.fakes.server import serve
from tests.helpers import PASSWORD, csrf_token, running_client, sign_in

FUND = {"name": "Debate Fund I", "status": "raising", "strategy": "private_credit/mezzanine",
        "target_size_musd": 300, "geographies": ["north_america"], "sectors": ["healthcare"]}  # fmt: skip


@pytest.fixture
def world(service) -> dict[str, Any]:
    org = f.make_org(service, name=f.unique("Debate GP"))
    email = f"{f.unique('debate')}@example.org"
    f.make_user(service, org_id=org, access_role="member", email=email, password=PASSWORD)
    f.make_lp(service, strategies=["private_credit"], geographies=["north_america"],
              sectors=["healthcare"], fund_size_min_musd=100, fund_size_max_musd=900)  # fmt: skip
    return {"org": org, "email": email}


async def api(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    return await client.request(
        method, url, headers={"X-CSRF-Token": await csrf_token(client)}, **kwargs
    )


async def first_match(client: httpx.AsyncClient) -> dict[str, Any]:
    fund = (await api(client, "POST", "/api/v1/funds", json=FUND)).json()
    listed = await api(client, "GET", f"/api/v1/matches?fund_id={fund['id']}&min_score=0")
    return listed.json()["items"][0]


async def run_debate(client: httpx.AsyncClient, match_id: str) -> dict[str, Any]:
    started = await api(client, "POST", f"/api/v1/matches/{match_id}/debate")
    assert started.status_code == 202, started.text
    # The debate runs after the response; over ASGI it has finished when the call returns.
    state = await api(client, "GET", started.json()["poll"])
    assert state.status_code == 200
    return state.json()


async def test_without_a_key_the_offline_analyst_debates_and_updates_the_match(
    client, service, world
):
    await sign_in(client, world["email"])
    match = await first_match(client)
    debate = await run_debate(client, match["id"])
    assert debate["status"] in ("completed", "escalated")
    assert debate["model_version"] == "offline-analyst-v1"
    agents = [(m["round"], m["agent"]) for m in debate["messages"]]
    assert agents[:3] == [(1, "bull"), (1, "bear"), (1, "synthesizer")]
    updated = (await api(client, "GET", f"/api/v1/matches/{match['id']}")).json()
    assert updated["debate_score"] is not None
    assert updated["score_breakdown"]["analysis"] == "offline analysis"
    assert "offline analysis" in updated["explanation"]
    page = await client.get(f"/matches/{match['id']}")
    assert "Full analysis" in page.text and "Round 1" in page.text


def case(score: float, confidence: float = 0.8, exclusion: str = "") -> Step:
    return Step(content=json.dumps({"score": score, "confidence": confidence,
                                    "arguments": [f"Argument at {score}."],
                                    "hard_exclusion": exclusion}))  # fmt: skip


def decision(score: float, confidence: float = 0.8) -> Step:
    return Step(content=json.dumps({
        "score": score, "confidence": confidence, "recommendation": "investigate",
        "explanation": "The committee weighed both cases.", "talking_points": ["A point."],
        "concerns": ["A concern."],
    }), cost=0.003)  # fmt: skip


def scripted(rounds: list[tuple[Step, Step, Step]]) -> Callable[[dict[str, Any]], Step]:
    """Answer by agent (from the prompt) and round (from the feedback it carries)."""

    def respond(body: dict[str, Any]) -> Step:
        text = body["messages"][-1]["content"]
        found = re.search(r"Round (\d)\.", text)
        rnd = int(found.group(1)) if found else 1
        if "chair the placement committee" in text:
            rnd = respond.synth_round = getattr(respond, "synth_round", 0) + 1  # type: ignore[attr-defined]
            return rounds[rnd - 1][2]
        return rounds[rnd - 1][0 if "bull analyst" in text else 1]

    return respond


PATHS = {
    "consensus in round 1": ([(case(80), case(72), decision(76))], "completed", 1, None),
    "regenerate then agree": ([(case(85), case(60), decision(72)), (case(78), case(70), decision(74))],
                              "completed", 2, None),
    "more than 30 apart": ([(case(90), case(50), decision(70))], "escalated", 1,
                           ("score_disagreement", "high")),
    "confidence collapse": ([(case(70), case(65), decision(68, confidence=0.3))], "escalated", 1,
                            ("confidence_collapse", "medium")),
    "deal breaker": ([(case(70), case(40, exclusion="Mandate excludes mezzanine."), decision(55))],
                     "escalated", 1, ("deal_breaker", "high")),
    "still apart after 3 rounds": ([(case(85), case(60), decision(72))] * 3, "escalated", 3,
                                   ("score_disagreement", "high")),
}  # fmt: skip


@pytest.mark.parametrize("path", PATHS, ids=list(PATHS))
async def test_debate_paths_against_the_llm(make_app, service, world, path):
    rounds, status, count, escalation = PATHS[path]
    state = OpenRouterState(responder=scripted(rounds))
    with serve(openrouter_app(state)) as url:
        app = make_app(openrouter_api_key=state.key, openrouter_base_url=f"{url}/api/v1")
        async with running_client(app) as client:
            await sign_in(client, world["email"])
            match = await first_match(client)
            debate = await run_debate(client, match["id"])
            after = await api(client, "GET", f"/api/v1/matches/{match['id']}")
    assert (debate["status"], debate["rounds"]) == (status, count), debate
    assert len(debate["messages"]) == 3 * count and len(state.requests) == 3 * count
    assert debate["model_version"] == "anthropic/claude-sonnet-4.5"
    assert debate["prompt_version"] == "bear@1.0.0,bull@1.0.0,synthesizer@1.0.0"
    costs = [m["content"]["cost_usd"] for m in debate["messages"]]
    assert all(c > 0 for c in costs)
    row = service.execute(
        "select kind, priority from agent_escalations where debate_id = %s", (debate["id"],)
    ).fetchone()
    assert row == escalation
    if escalation and escalation[0] == "deal_breaker":
        assert after.status_code == 404  # hidden from the GP until a reviewer decides
    else:
        assert after.json()["score_breakdown"]["analysis"] == "AI analysis"
        assert (
            float(after.json()["debate_score"]) == json.loads(rounds[count - 1][2].content)["score"]
        )


async def test_a_failing_provider_falls_back_to_an_offline_analysis(make_app, service, world):
    state = OpenRouterState(default=Step(kind="503"))
    with serve(openrouter_app(state)) as url:
        app = make_app(openrouter_api_key=state.key, openrouter_base_url=f"{url}/api/v1",
                       llm_max_attempts=2)  # fmt: skip
        async with running_client(app) as client:
            await sign_in(client, world["email"])
            match = await first_match(client)
            debate = await run_debate(client, match["id"])
            after = (await api(client, "GET", f"/api/v1/matches/{match['id']}")).json()
    assert debate["model_version"] == "offline-analyst-v1"
    assert after["score_breakdown"]["analysis"] == "offline analysis"
    assert "gave up after 2 attempts" in after["score_breakdown"]["fallback_reason"]
    failed_calls = service.execute(
        "select count(*) from llm_calls where debate_id = %s and status = 'error'", (debate["id"],)
    ).fetchone()[0]
    assert failed_calls >= 2


async def test_one_debate_at_a_time_per_match(client, service, world):
    await sign_in(client, world["email"])
    match = await first_match(client)
    fund_id, lp = match["fund_id"], match["lp_org_id"]
    f.make_debate(service, fund_id=fund_id, lp_org_id=lp, status="running")
    again = await api(client, "POST", f"/api/v1/matches/{match['id']}/debate")
    assert again.status_code == 409 and "already running" in again.json()["error"]
