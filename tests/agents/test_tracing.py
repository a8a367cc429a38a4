"""Langfuse tracing against a fake OTLP endpoint: one trace per debate, rounds, generations."""

from __future__ import annotations

import json
from typing import Any

from src.agents.tracing import build_tracing
from tests import factories as f
from tests.fakes.openrouter import OpenRouterState, Step, openrouter_app
from tests.fakes.otlp import Collected, otlp_app
from tests.fakes.server import serve
from tests.helpers import PASSWORD, csrf_token, running_client, sign_in

FUND = {"name": "Traced Fund I", "status": "raising", "strategy": "venture/late",
        "target_size_musd": 250, "geographies": ["europe"]}  # fmt: skip


def respond(body: dict[str, Any]) -> Step:
    text = body["messages"][-1]["content"]
    if "chair the placement committee" in text:
        content = {"score": 70, "confidence": 0.9, "recommendation": "investigate",
                   "explanation": "Weighed.", "talking_points": ["A."], "concerns": ["B."]}  # fmt: skip
    else:
        content = {"score": 72 if "bull analyst" in text else 66, "confidence": 0.8,
                   "arguments": ["A fact."], "hard_exclusion": ""}  # fmt: skip
    return Step(content=json.dumps(content), cost=0.002)


async def test_a_debate_is_one_trace_with_round_spans_and_priced_generations(make_app, service):
    org = f.make_org(service)
    email = f"{f.unique('trace')}@example.org"
    f.make_user(service, org_id=org, access_role="member", email=email, password=PASSWORD)
    f.make_lp(service, strategies=["venture"], geographies=["europe"], fund_size_min_musd=50,
              fund_size_max_musd=900, mandate_text="Late-stage European software.")  # fmt: skip
    collected, llm_state = Collected(), OpenRouterState(responder=respond)
    with serve(otlp_app(collected)) as lf_url, serve(openrouter_app(llm_state)) as or_url:
        app = make_app(openrouter_api_key=llm_state.key, openrouter_base_url=f"{or_url}/api/v1",
                       langfuse_public_key="pk-lf-test", langfuse_secret_key="sk-lf-test",
                       langfuse_host=lf_url)  # fmt: skip
        async with running_client(app) as client:
            await sign_in(client, email)
            headers = {"X-CSRF-Token": await csrf_token(client)}
            fund = (await client.post("/api/v1/funds", json=FUND, headers=headers)).json()
            items = (await client.get(f"/api/v1/matches?fund_id={fund['id']}&min_score=0")).json()
            started = await client.post(f"/api/v1/matches/{items['items'][0]['id']}/debate",
                                        headers=headers)  # fmt: skip
            assert started.status_code == 202
            app.state.tracing.flush()
    # The app's exporter and LLM client report to the status /health/detailed shows.
    providers = app.state.providers
    assert providers.get("langfuse").state == providers.get("openrouter").state == "ok"
    spans = collected.spans
    roots = [s for s in spans if s["name"] == "debate"]
    assert len(roots) == 1
    root = roots[0]
    assert root["attributes"]["langfuse.observation.metadata.fund_id"] == json.dumps(fund["id"])
    assert "langfuse.observation.metadata.org_id" in root["attributes"]
    rounds = [s for s in spans if s["name"] == "round 1"]
    assert len(rounds) == 1 and rounds[0]["parent_id"] == root["span_id"]
    generations = [
        s for s in spans if s["attributes"].get("langfuse.observation.type") == "generation"
    ]
    assert sorted(g["name"] for g in generations) == ["bear", "bull", "synthesizer"]
    for g in generations:
        assert g["trace_id"] == root["trace_id"] and g["parent_id"] == rounds[0]["span_id"]
        attrs = g["attributes"]
        assert json.loads(attrs["langfuse.observation.cost_details"]) == {"total": 0.002}
        assert json.loads(attrs["langfuse.observation.usage_details"]) == {
            "input": 120,
            "output": 80,
        }
        assert json.loads(attrs["langfuse.observation.metadata.prompt_version"]) == "1.0.0"
        assert attrs["langfuse.observation.model.name"] == "anthropic/claude-sonnet-4.5"
        # No prompt or reply text leaves through tracing.
        assert "langfuse.observation.input" not in attrs
        assert "langfuse.observation.output" not in attrs
    scores = [s for call in collected.api if call["path"] == "scores" for s in call["body"]]
    assert [(s["name"], s["value"]) for s in scores] == [("debate_quality", 0.846)]
    assert scores[0]["traceId"] == root["trace_id"]  # 0.9 confidence × (1 − 6/100)
    assert collected.auth and collected.auth[0].startswith("Basic ")


def test_without_keys_there_is_no_client_and_no_network(make_settings):
    tracing = build_tracing(make_settings())
    assert not tracing.enabled
    with tracing.trace("debate", {}) as span, tracing.span("round 1"):
        tracing.generation(name="bull", model="m", metadata={}).end()
        tracing.score(span, "debate_quality", 1.0)
    tracing.flush()
    tracing.shutdown()
