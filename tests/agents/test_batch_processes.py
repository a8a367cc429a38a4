"""Batch workers as real processes and a real database restart: no work lost, none doubled."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import psycopg
import pytest

from src.agents.batch.runner import Options
from src.db.embedded import start_embedded
from src.db.migrate import apply_migrations
from src.db.pool import create_pool
from tests.agents.batch_support import batch_env, load_demo, scalar, start_batch, worker
from tests.agents.test_batch_runs import llm_client, respond, rows
from tests.fakes.openrouter import OpenRouterState, Step, openrouter_app
from tests.fakes.server import serve


def slow(delay: float):
    def reply(body: dict[str, Any]) -> Step:
        step = respond(body)
        step.delay = delay
        return step

    return reply


def wait_for(url: str, query: str, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = scalar(url, query) or 0
        if value >= at_least:
            return int(value)
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {query!r} to reach {at_least}")


def assert_complete(url: str, run_id: Any) -> None:
    """Every item done once; one finished debate per debated (fund, LP); no orphans."""
    statuses = rows(url, "select phase, status, count(*) from batch_items where run_id = %s"
                         " group by 1, 2", (run_id,))  # fmt: skip
    assert {(p, s) for p, s, _ in statuses} <= {("score", "done"), ("debate", "done")}, statuses
    debated = rows(url, "select fund_id, lp_org_id from batch_items where run_id = %s"
                        " and phase = 'debate'", (run_id,))  # fmt: skip
    debates = rows(url, "select fund_id, lp_org_id, count(*), bool_and(status <> 'running')"
                        " from agent_debates group by 1, 2")  # fmt: skip
    assert {(f, lp) for f, lp, _, _ in debates} == set(debated), "no missing, no extra"
    assert all(n == 1 and finished for _, _, n, finished in debates), "no duplicate, no orphan"
    assert scalar(url, "select count(*) from fund_lp_matches where debate_score is not null") == (
        len(debated)
    )
    assert scalar(url, "select count(distinct fund_id) from fund_lp_matches") == scalar(
        url, "select count(*) from funds where status in ('raising', 'first_close',"
             " 'pre_marketing', 'final_close')")  # fmt: skip


@pytest.fixture
def openrouter():
    state = OpenRouterState(responder=slow(0.25))
    with serve(openrouter_app(state)) as url:
        yield state, url


def env_for(empty_db, tmp_path, url: str, **extra: str) -> dict[str, str]:
    return batch_env(empty_db.app_url, tmp_path, OPENROUTER_API_KEY="sk-or-test",
                     OPENROUTER_BASE_URL=f"{url}/api/v1", LLM_CONCURRENCY="2",
                     LLM_MAX_ATTEMPTS="1", BATCH_DEBATES_PER_FUND="4",
                     BATCH_PITCHES_PER_FUND="0", **extra)  # fmt: skip


def test_a_killed_worker_is_resumed_with_no_duplicate_and_nothing_missing(
    empty_db, tmp_path, openrouter
):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    _, url = openrouter
    env = env_for(empty_db, tmp_path, url, BATCH_LEASE_SECONDS="2")
    first = start_batch("run_nightly", env)
    try:
        # Kill it mid-debate: some debates done, others claimed and in flight.
        wait_for(empty_db.admin_url, "select count(*) filter (where status = 'done') >= 3"
                 " and count(*) filter (where status = 'claimed') > 0 from batch_items"
                 " where phase = 'debate'", 1)  # fmt: skip
        first.send_signal(signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=10)
    in_flight = scalar(empty_db.admin_url,
                       "select count(*) from batch_items where status = 'claimed'")  # fmt: skip
    assert in_flight > 0, "the worker died holding claims"
    assert scalar(empty_db.admin_url, "select status from batch_runs") == "running"

    second = start_batch("run_nightly", env)
    out, err = second.communicate(timeout=180)
    assert second.returncode == 0, err[-3000:]
    assert '"phase": "debate"' in out  # JSON progress lines when not on a terminal
    run_id, status = rows(empty_db.admin_url, "select id, status from batch_runs")[0]
    assert status == "succeeded"
    assert scalar(empty_db.admin_url, "select count(*) from batch_runs") == 1, "resumed, not new"
    assert scalar(empty_db.admin_url, "select max(attempts) from batch_items") == 2
    assert_complete(empty_db.admin_url, run_id)


def test_two_worker_processes_split_the_items(empty_db, tmp_path, openrouter):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    _, url = openrouter
    env = env_for(empty_db, tmp_path, url, BATCH_CHUNK="1")
    workers = [start_batch("run_nightly", env) for _ in range(2)]
    for process in workers:
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-3000:]
    run_id = rows(empty_db.admin_url, "select id from batch_runs")[0][0]
    claims = rows(empty_db.admin_url, "select claimed_by, count(*), max(attempts) from batch_items"
                                      " where run_id = %s group by 1", (run_id,))  # fmt: skip
    assert len(claims) == 2, "both processes worked"
    assert all(attempts == 1 for _, _, attempts in claims), "no item claimed twice"
    assert_complete(empty_db.admin_url, run_id)


async def test_a_database_restart_mid_run_is_retried(tmp_path, make_settings, caplog):
    server = start_embedded(tmp_path / "restart", database="lpxgp_restart")
    try:
        await apply_migrations(server.admin_url)
        load_demo(server.admin_url, lps=150, funds=6)
        # A short wait for connections: the outage (3 s) outlasts it, so the worker's own
        # retry (not only the pool's reconnect) is what carries the run through.
        pool = create_pool(server.app_url, make_settings(db_pool_max_size=6,
                                                         db_pool_timeout_seconds=1))  # fmt: skip
        await pool.open(wait=True)
        state = OpenRouterState(responder=slow(0.2))
        try:
            with serve(openrouter_app(state)) as url:
                llm = llm_client(pool, url, concurrency=2, max_attempts=1)
                w = worker(pool, debates_per_fund=4, pitches_per_fund=0, outage_seconds=60)
                w.llm = llm
                task = asyncio.create_task(w.run(Options()))
                await asyncio.to_thread(
                    wait_for, server.admin_url, "select count(*) from batch_items"
                    " where phase = 'debate' and status = 'done'", 2,
                )  # fmt: skip
                await asyncio.to_thread(server.stop)
                await asyncio.sleep(3)
                restarted = await asyncio.to_thread(server.start)
                assert restarted.socket_dir == server.socket_dir
                outcome = await asyncio.wait_for(task, timeout=120)
                await llm.aclose()
        finally:
            await pool.close()
        assert outcome.run is not None and outcome.run.status == "succeeded", outcome.run
        assert outcome.failed == 0
        assert any(r.message == "batch_database_unavailable" for r in caplog.records)
        assert_complete(server.admin_url, outcome.run.id)
        with psycopg.connect(server.admin_url) as conn:
            assert conn.execute("select count(*) from batch_runs").fetchone() == (1,)
    finally:
        server.stop()
