"""The LLM client against a fake OpenRouter on 127.0.0.1, recording into the real database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel, Field

from src.agents.call_log import BUDGET_ALERT, DbCallLog
from src.agents.llm import (
    CallContext,
    LlmBudgetExhausted,
    LlmClient,
    LlmInvalidOutput,
    LlmSettings,
    LlmUnavailable,
    PerMinuteLimiter,
)
from src.db.pool import create_pool
from tests.fakes.openrouter import OpenRouterState, Step, openrouter_app
from tests.fakes.server import serve


class Verdict(BaseModel):
    score: float = Field(ge=0, le=100)
    reasons: list[str]


GOOD = json.dumps({"score": 72, "reasons": ["Mandate names healthcare credit."]})
CONTEXT = CallContext(agent="bull", prompt_name="bull", prompt_version="1.0.0")


@pytest.fixture
def fake():
    state = OpenRouterState()
    with serve(openrouter_app(state)) as url:
        yield state, url


@pytest.fixture
async def pool(migrated_db, settings):
    pool = create_pool(migrated_db.app_url, settings)
    await pool.open(wait=True)
    yield pool
    await pool.close()


@pytest.fixture
def clean_calls(service):
    service.execute("delete from llm_calls")
    service.execute("delete from alerts where kind = %s", (BUDGET_ALERT,))
    yield
    service.execute("delete from llm_calls")
    service.execute("delete from alerts where kind = %s", (BUDGET_ALERT,))


@pytest.fixture
async def client(fake, pool, clean_calls) -> AsyncIterator[tuple[LlmClient, list[float]]]:
    state, url = fake
    waits: list[float] = []

    async def record_wait(seconds: float) -> None:
        waits.append(seconds)

    llm = LlmClient(
        LlmSettings(
            api_key=state.key,
            base_url=f"{url}/api/v1",
            models={"main": "anthropic/claude-sonnet-4.5", "fast": "anthropic/claude-haiku-4.5"},
            timeout_seconds=0.5,
            max_attempts=3,
        ),  # fmt: skip
        DbCallLog(pool),
        sleep=record_wait,
    )
    yield llm, waits
    await llm.aclose()


def calls(service) -> list[tuple]:
    return service.execute(
        "select agent, model, prompt_version, input_tokens, output_tokens, cost_usd::float8, status"
        " from llm_calls order by created_at"
    ).fetchall()


async def ask(llm: LlmClient) -> Verdict:
    done = await llm.structured(
        role="main",
        messages=[{"role": "user", "content": "Argue for this match."}],
        schema=Verdict,
        context=CONTEXT,
    )
    return done.value


async def test_structured_output_is_parsed_and_the_call_recorded(client, fake, service):
    llm, _ = client
    state, _ = fake
    state.script = [Step(content=GOOD, cost=0.0042)]
    assert await ask(llm) == Verdict(score=72, reasons=["Mandate names healthcare credit."])
    sent = state.requests[0]
    assert sent["model"] == "anthropic/claude-sonnet-4.5"
    fmt = sent["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["required"] == ["score", "reasons"]
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert calls(service) == [
        ("bull", "anthropic/claude-sonnet-4.5", "1.0.0", 120, 80, 0.0042, "ok")
    ]


async def test_a_429_is_retried_after_its_retry_after(client, fake, service):
    llm, waits = client
    state, _ = fake
    state.script = [Step(kind="429", retry_after="7"), Step(content=GOOD)]
    assert (await ask(llm)).score == 72
    assert waits == [7.0]
    assert [c[-1] for c in calls(service)] == ["error", "ok"]


async def test_server_errors_until_the_attempts_run_out_fail_cleanly(client, fake, service):
    llm, waits = client
    state, _ = fake
    state.script = [Step(kind="500"), Step(kind="error200"), Step(kind="503")]
    with pytest.raises(LlmUnavailable, match="gave up after 3 attempts"):
        await ask(llm)
    assert len(waits) == 2 and all(0 < w <= 20 for w in waits)
    assert [c[-1] for c in calls(service)] == ["error"] * 3


async def test_a_bad_key_or_no_credit_is_not_retried(client, fake, service):
    llm, waits = client
    state, _ = fake
    state.script = [Step(kind="402")]
    with pytest.raises(LlmUnavailable, match="402"):
        await ask(llm)
    assert waits == [] and len(calls(service)) == 1


async def test_timeouts_are_retried_then_reported(client, fake, service):
    llm, _ = client
    state, _ = fake
    state.script = [Step(delay=2), Step(delay=2), Step(content=GOOD)]
    assert (await ask(llm)).score == 72
    assert [c[-1] for c in calls(service)] == ["error", "error", "ok"]
    state.script = [Step(delay=2)] * 3
    with pytest.raises(LlmUnavailable, match="timeout"):
        await ask(llm)


async def test_malformed_json_gets_one_repair_then_fails(client, fake):
    llm, _ = client
    state, _ = fake
    state.script = [Step(content="Sure! Here is the JSON: {score: 72"), Step(content=GOOD)]
    assert (await ask(llm)).score == 72
    repair = state.requests[-1]["messages"][-1]["content"]
    assert "not valid for the required JSON schema" in repair
    state.script = [Step(content='{"score": 140, "reasons": []}'), Step(content="[]")]
    with pytest.raises(LlmInvalidOutput, match="did not match the schema"):
        await ask(llm)


async def test_the_concurrency_cap_holds_under_100_parallel_calls(fake, pool, clean_calls):
    state, url = fake
    state.default = Step(content=GOOD, delay=0.05)
    llm = LlmClient(
        LlmSettings(
            api_key=state.key,
            base_url=f"{url}/api/v1",
            models={"main": "m", "fast": "f"},
            concurrency=10,
            calls_per_minute=1000,
        ),  # fmt: skip
        DbCallLog(pool),
    )
    results = await asyncio.gather(*(ask(llm) for _ in range(100)))
    await llm.aclose()
    assert len(results) == 100 and state.max_in_flight == 10


async def test_the_per_minute_limit_makes_callers_wait_their_turn():
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = PerMinuteLimiter(3, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await limiter.acquire()
    now[0] = 10.0
    await limiter.acquire()  # the fourth waits for the first to leave the window
    assert slept == [50.0] and now[0] == 60.0


async def test_the_daily_budget_switches_calls_off_and_alerts_once(client, fake, service):
    llm, _ = client
    state, _ = fake
    llm.settings.daily_budget_usd = 1.0
    service.execute(
        "insert into llm_calls (agent, model, cost_usd, status) values ('bull', 'm', 1.25, 'ok')"
    )
    for _ in range(2):
        with pytest.raises(LlmBudgetExhausted, match="daily LLM budget"):
            await ask(llm)
    assert state.requests == []
    alerts = service.execute(
        "select severity, message from alerts where kind = %s", (BUDGET_ALERT,)
    ).fetchall()
    assert len(alerts) == 1 and alerts[0][0] == "critical" and "$1.25 of $1" in alerts[0][1]


async def test_the_per_minute_window_holds_under_100_parallel_calls(fake, pool, clean_calls):
    state, url = fake
    state.default = Step(content=GOOD)
    now = [0.0]
    starts: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds  # fake time: the test does not wait minutes

    llm = LlmClient(
        LlmSettings(
            api_key=state.key,
            base_url=f"{url}/api/v1",
            models={"main": "m", "fast": "f"},
            concurrency=10,
            calls_per_minute=30,
        ),  # fmt: skip
        DbCallLog(pool),
    )
    llm.limiter = PerMinuteLimiter(30, clock=lambda: now[0], sleep=sleep)
    original = llm.limiter.acquire

    async def acquire() -> None:
        await original()
        starts.append(now[0])

    llm.limiter.acquire = acquire  # type: ignore[method-assign]
    await asyncio.gather(*(ask(llm) for _ in range(100)))
    await llm.aclose()
    assert len(starts) == 100 and state.max_in_flight <= 10
    for first in starts:
        assert sum(first <= t < first + 60 for t in starts) <= 30
    assert now[0] >= 180  # 100 calls at 30 a minute need three more windows
