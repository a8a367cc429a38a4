"""Batch runs end to end: phases, deadlines, incremental plans, outages, resumed work."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from src.agents.batch.analysis import Analysis
from src.agents.batch.runner import Options, Outcome, Progress
from src.agents.call_log import DbCallLog
from src.agents.llm import LlmClient, LlmSettings
from src.db.queries.batch import Item
from src.db.tenancy import service_transaction
from src.demo.market import DEMO_PASSWORD, demo_logins
from src.main import create_app
from tests import factories as f
from tests.agents.batch_support import load_demo, run_job, scalar, worker
from tests.fakes.openrouter import OpenRouterState, Step, openrouter_app
from tests.fakes.server import serve
from tests.helpers import post_form, running_client, sign_in
from tests.routes.pages.test_funds_pages import FORM as FUND_FORM
from tests.routes.pages.test_funds_pages import fund_id_from


def rows(url: str, query: str, params: Any = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def respond(body: dict[str, Any]) -> Step:
    """Bull, bear and chair replies a debate can use."""
    text = body["messages"][-1]["content"]
    if "chair the placement committee" in text:
        content = {"score": 71, "confidence": 0.85, "recommendation": "investigate",
                   "explanation": "Weighed both sides.", "talking_points": ["Fit."],
                   "concerns": ["Size."]}  # fmt: skip
    else:
        content = {"score": 74 if "bull analyst" in text else 68, "confidence": 0.8,
                   "arguments": ["A fact from the record."], "hard_exclusion": ""}  # fmt: skip
    return Step(content=json.dumps(content), cost=0.001)


def llm_client(pool, url: str, **overrides: Any) -> LlmClient:
    settings = LlmSettings(api_key="sk-or-test", base_url=f"{url}/api/v1",
                           models={"main": "m/main", "fast": "m/fast"}, **overrides)  # fmt: skip
    return LlmClient(settings, DbCallLog(pool))


async def run_with_llm(pool, state: OpenRouterState, **llm: Any) -> Outcome:
    """A nightly run (3 debates a fund, no pitches) against the fake OpenRouter."""
    with serve(openrouter_app(state)) as url:
        client = llm_client(pool, url, **llm)
        w = worker(pool, debates_per_fund=3, pitches_per_fund=0)
        w.llm = client
        try:
            return await w.run(Options())
        finally:
            await client.aclose()


async def test_nightly_debates_and_drafts_pitches_once(empty_db, pool):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    outcome = await run_job(pool, debates_per_fund=3, pitches_per_fund=2)
    run = outcome.run
    assert run is not None and run.status == "succeeded", run
    debate_items = run.counts["items"]["debate"]["done"]
    assert debate_items > 0 and run.counts["debates"] == debate_items
    assert run.counts["offline_analyses"] == debate_items and run.llm_tokens == 0
    assert run.counts["pitches"] == run.counts["items"]["pitch"]["done"] > 0
    url = empty_db.admin_url
    assert scalar(url, "select count(*) from agent_debates where status = 'running'") == 0
    assert scalar(url, "select count(*) from agent_debates") == debate_items
    # Each debated match carries its outcome; every pitch is a batch draft, one per match.
    assert scalar(url, "select count(*) from fund_lp_matches where debate_score is not null") == (
        debate_items
    )
    assert rows(url, "select match_id from pitches group by match_id having count(*) > 1") == []
    assert scalar(url, "select count(*) from pitches where created_by is not null") == 0

    again = await run_job(pool, debates_per_fund=3, pitches_per_fund=2)
    assert again.run is not None and again.run.status == "succeeded"
    # The analysed matches stand: nothing new to debate among the top 3 unless a debate moved
    # a new match into them; nothing is analysed or drafted twice.
    assert scalar(url, "select count(*) from agent_debates") == debate_items + again.run.counts.get(
        "debates", 0
    )
    assert rows(url, "select fund_id, lp_org_id from agent_debates group by 1, 2"
                     " having count(*) > 1") == []  # fmt: skip
    assert rows(url, "select match_id from pitches group by match_id having count(*) > 1") == []


async def test_two_workers_share_a_run_without_overlap(empty_db, pool):
    load_demo(empty_db.admin_url, lps=150, funds=8)
    first, second = worker(pool, chunk=1), worker(pool, chunk=1)
    outcomes = await asyncio.gather(first.run(Options()), second.run(Options()))
    run_ids = {o.run.id for o in outcomes if o.run is not None}
    assert len(run_ids) == 1, "the second worker joined the first one's run"
    items = rows(empty_db.admin_url, "select claimed_by, attempts, status from batch_items"
                                     " where run_id = %s", (run_ids.pop(),))  # fmt: skip
    assert {status for _, _, status in items} == {"done"}
    assert all(attempts == 1 for _, attempts, _ in items), "no item was worked twice"
    assert {claimed for claimed, _, _ in items} == {first.name, second.name}
    assert first.processed + second.processed == len(items)


async def test_the_deadline_leaves_work_for_the_next_run_and_alerts(empty_db, pool):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    start = datetime.now(UTC)
    clock = {"now": start}
    w = worker(pool, chunk=2, debates_per_fund=4, pitches_per_fund=1)
    w.clock = lambda: clock["now"]

    def report(progress: Progress) -> None:
        if progress.phase == "debate" and progress.done >= 2:
            clock["now"] = start + timedelta(hours=5)  # 07:00 after a 02:00 start

    w.report = report
    outcome = await w.run(Options(deadline=start + timedelta(hours=4)))
    run = outcome.run
    assert run is not None and run.status == "partial"
    debate = run.counts["items"]["debate"]
    assert debate["done"] == 2 and debate["deferred"] > 0 and "pitch" not in run.counts["items"]
    assert outcome.exit_code == 0, "leftovers are not failures"
    alert = rows(empty_db.admin_url, "select severity, details from alerts"
                                     " where kind = 'batch_deadline'")  # fmt: skip
    assert len(alert) == 1 and alert[0][0] == "warning"
    assert alert[0][1]["deferred"] == debate["deferred"]

    following = await run_job(pool, debates_per_fund=4, pitches_per_fund=1)
    assert following.run is not None and following.run.status == "succeeded"
    assert following.run.counts["debates"] == debate["deferred"]
    assert following.run.counts["pitches"] > 0


async def test_incremental_rescores_exactly_what_changed(empty_db, pool):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    nightly = await run_job(pool, debates_per_fund=0, pitches_per_fund=0)
    assert nightly.run is not None and nightly.run.status == "succeeded"
    url = empty_db.admin_url
    funds = [r[0] for r in rows(url, "select id from funds where status in ('raising',"
                                     " 'first_close', 'pre_marketing', 'final_close') order by id")]  # fmt: skip
    lps = [r[0] for r in rows(url, "select org_id from lp_profiles order by org_id limit 2")]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("update funds set sectors = array['software'] where id = %s", (funds[0],))
        conn.execute("update lp_profiles set strategies = array['private_equity', 'venture']"
                     " where org_id = any(%s)", (lps,))  # fmt: skip
        # Not a matching field: no change recorded.
        conn.execute("update lp_profiles set aum_musd = aum_musd + 1 where org_id = %s",
                     (funds[0],))  # fmt: skip
    outcome = await run_job(pool, "incremental", debates_per_fund=0, pitches_per_fund=0)
    run = outcome.run
    assert run is not None and run.status == "succeeded" and run.since is not None
    planned = rows(url, "select fund_id, lp_ids from batch_items where run_id = %s"
                        " and phase = 'score'", (run.id,))  # fmt: skip
    assert dict(planned) == {funds[0]: None, **{f: sorted(lps) for f in funds[1:]}}
    # What the incremental wrote is what a full rescoring would: a nightly now writes nothing.
    check = await run_job(pool, debates_per_fund=0, pitches_per_fund=0)
    assert check.run is not None and check.run.counts.get("written", 0) == 0

    idle = await run_job(pool, "incremental", debates_per_fund=0, pitches_per_fund=0)
    assert idle.run is not None and idle.run.counts["items"] == {}


async def test_a_provider_outage_falls_back_and_the_run_completes(empty_db, pool):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    state = OpenRouterState()
    calls = {"n": 0}

    def flaky(body: dict[str, Any]) -> Step:
        calls["n"] += 1
        return respond(body) if calls["n"] <= 9 else Step(kind="503")

    state.responder = flaky
    outcome = await run_with_llm(pool, state, max_attempts=1, concurrency=1)
    run = outcome.run
    assert run is not None and run.status == "succeeded", run
    debates = run.counts["debates"]
    assert debates == run.counts["items"]["debate"]["done"] > 3
    assert run.counts["llm_analyses"] >= 1 and run.counts["fallbacks"] >= 1
    assert run.counts["offline_analyses"] == debates - run.counts["llm_analyses"]
    assert run.llm_tokens > 0 and run.llm_cost_usd > 0
    assert "offline analyses" in (run.summary or "")


async def test_the_daily_budget_stops_new_debates(empty_db, pool):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    state = OpenRouterState(responder=respond)
    outcome = await run_with_llm(pool, state, daily_budget_usd=0.005, concurrency=1)
    run = outcome.run
    assert run is not None and run.status == "partial"
    assert run.counts["items"]["debate"]["skipped"] > 0
    assert run.counts["debates"] >= 1
    assert scalar(empty_db.admin_url,
                  "select count(*) from alerts where kind = 'llm_daily_budget'") == 1  # fmt: skip


async def test_publishing_scores_at_once_and_queues_the_full_analysis_for_tonight(
    empty_db, pool, make_settings
):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    member = next(login for login in demo_logins() if login.role == "member")
    app = create_app(make_settings(database_url=empty_db.app_url))
    form = {**FUND_FORM, "status": "raising"}
    async with running_client(app) as client:
        await sign_in(client, member.email, DEMO_PASSWORD)
        created = await post_form(client, "/funds", form)
        fund_id = fund_id_from(created)
        assert scalar(empty_db.admin_url, "select count(*) from fund_lp_matches"
                                          " where fund_id = %s", (fund_id,)) > 0  # fmt: skip
        page = await client.get(f"/funds/{fund_id}/matches?min_score=0")
        assert "Full analysis tonight" in page.text and "top 20 matches" in page.text

        outcome = await run_job(pool, debates_per_fund=3, pitches_per_fund=0)
        assert outcome.run is not None and outcome.run.status == "succeeded"
        debated = scalar(empty_db.admin_url, "select count(*) from fund_lp_matches"
                         " where fund_id = %s and debate_score is not null", (fund_id,))  # fmt: skip
        assert debated == 3
        assert scalar(empty_db.admin_url, "select analysis_requested_at from funds"
                                          " where id = %s", (fund_id,)) is None  # fmt: skip
        page = await client.get(f"/funds/{fund_id}/matches?min_score=0")
        assert page.status_code == 200 and "Full analysis tonight" not in page.text


async def test_a_debate_a_gp_just_started_is_not_run_twice(empty_db, pool):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    await run_job(pool, debates_per_fund=0, pitches_per_fund=0)
    url = empty_db.admin_url
    fund, lp = rows(url, "select fund_id, lp_org_id from fund_lp_matches"
                         " order by score desc limit 1")[0]  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        # Planned by the batch, then started by the GP from the match page before the worker
        # reached it.
        run = f.make_batch_run(conn, status="running")
        item = f.make_batch_item(conn, run_id=run, fund_id=fund, phase="debate", lp_org_id=lp,
                                 status="claimed", claimed_by="w1",
                                 lease_until=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip
        f.make_debate(conn, fund_id=fund, lp_org_id=lp, status="running")
    claimed = Item(id=item, run_id=run, phase="debate", fund_id=fund, lp_org_id=lp,
                   lp_ids=None, priority=0, attempts=1, result={})  # fmt: skip
    job = Analysis(lambda: service_transaction(pool), None, run_id=run, worker="w1")
    assert await job.debate(claimed) is True
    assert rows(url, "select status, result from batch_items where id = %s", (item,)) == [
        ("done", {"unchanged": 1})
    ]
    assert scalar(url, "select count(*) from agent_debates where fund_id = %s"
                       " and lp_org_id = %s", (fund, lp)) == 1  # fmt: skip
