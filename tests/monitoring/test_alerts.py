"""Each alert fires once for its condition, not in the healthy case, and reaches Slack once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from src.db.embedded import start_embedded
from src.db.migrate import apply_migrations
from src.db.pool import create_pool
from src.db.tenancy import service_transaction
from src.monitoring.alerts import AlertMonitor, Slack
from src.monitoring.cost import get_monthly_cost_breakdown
from src.monitoring.metrics import EDGES_MS
from tests import factories as f
from tests.fakes.server import serve
from tests.fakes.slack import FakeSlack

WEBHOOK = "/services/T000/B000/XXX"


@pytest.fixture
def slack():
    fake = FakeSlack()
    with serve(fake.app()) as url:
        yield fake, url + WEBHOOK


def minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def traffic(conn: psycopg.Connection, *, requests: int, errors: int, bucket_ms: int) -> None:
    buckets = [0] * (len(EDGES_MS) + 1)
    buckets[EDGES_MS.index(bucket_ms)] = requests
    f.make_request_metric(conn, minute=minute(), route="GET /lps", requests=requests,
                          errors=errors, latency_ms_total=requests * bucket_ms * 0.8,
                          buckets=buckets)  # fmt: skip


def debates(conn: psycopg.Connection, *, count: int, escalated: int) -> None:
    gp = f.make_org(conn, is_gp=True)
    fund = f.make_fund(conn, org_id=gp, status="raising")
    for i in range(count):
        debate = f.make_debate(conn, fund_id=fund, lp_org_id=f.make_lp(conn))
        if i < escalated:
            f.make_escalation(conn, debate_id=debate)


# (incident, how to make it fire, how to make it nearly fire: the healthy case)
CONDITIONS: dict[str, tuple[Callable[[psycopg.Connection], Any], Callable[[psycopg.Connection], Any]]] = {
    "monthly_cost": (lambda c: f.make_llm_call(c, cost_usd=790),
                     lambda c: f.make_llm_call(c, cost_usd=700)),
    "agent_cost": (lambda c: f.make_llm_call(c, cost_usd=101),
                   lambda c: f.make_llm_call(c, cost_usd=99)),
    "error_rate": (lambda c: traffic(c, requests=100, errors=6, bucket_ms=20),
                   lambda c: traffic(c, requests=100, errors=5, bucket_ms=20)),
    "latency": (lambda c: traffic(c, requests=40, errors=0, bucket_ms=10_000),
                lambda c: traffic(c, requests=40, errors=0, bucket_ms=2000)),
    "cache_hit_rate": (
        lambda c: [f.make_metric_counter(c, minute=minute(), name=n, value=v)
                   for n, v in (("match_cache.hit", 9), ("match_cache.miss", 11))],
        lambda c: [f.make_metric_counter(c, minute=minute(), name=n, value=v)
                   for n, v in (("match_cache.hit", 10), ("match_cache.miss", 10))]),
    "escalation_rate": (lambda c: debates(c, count=20, escalated=6),
                        lambda c: debates(c, count=20, escalated=5)),
}  # fmt: skip


@pytest.mark.parametrize("incident", sorted(CONDITIONS))
async def test_each_alert_fires_once_and_not_when_healthy(
    incident, empty_db, pool, slack, make_settings
):
    fake, url = slack
    # This month's LLM spend is also today's: test the monthly total on its own.
    daily = {"alert_daily_agent_cost_usd": 10_000} if incident == "monthly_cost" else {}
    settings = make_settings(database_url=empty_db.app_url, **daily)
    monitor = AlertMonitor(pool, settings, Slack(url))
    fire, healthy = CONDITIONS[incident]
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        healthy(conn)
    assert await monitor.check() == []
    assert fake.messages == []
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        conn.execute("truncate llm_calls, request_metrics, metric_counters, agent_debates cascade")
        fire(conn)
    assert await monitor.check() == [incident]
    assert await monitor.check() == [], "one alert per incident"
    with psycopg.connect(empty_db.admin_url) as conn:
        rows = conn.execute("select incident, severity, sent_at is not null, resolved_at"
                            " from alerts").fetchall()  # fmt: skip
    assert len(rows) == 1 and rows[0][0] == incident and rows[0][2] and rows[0][3] is None
    expected = "CRITICAL" if incident in ("error_rate", "latency") else "WARNING"
    assert len(fake.messages) == 1 and expected in fake.texts()[0]
    await monitor.slack.aclose()


async def test_an_incident_resolves_and_can_open_again(empty_db, pool, slack, make_settings):
    fake, url = slack
    monitor = AlertMonitor(pool, make_settings(database_url=empty_db.app_url), Slack(url))
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        f.make_llm_call(conn, cost_usd=150)
        assert await monitor.check() == ["agent_cost"]
        conn.execute("truncate llm_calls")
        assert await monitor.check() == []
        assert conn.execute("select resolved_at is not null from alerts").fetchone() == (True,)
        f.make_llm_call(conn, cost_usd=150)
        assert await monitor.check() == ["agent_cost"]
        assert conn.execute("select count(*) from alerts").fetchone() == (2,)
    assert len(fake.messages) == 2
    await monitor.slack.aclose()


async def test_slack_refusing_is_retried_and_batch_alerts_are_delivered(
    empty_db, pool, slack, make_settings
):
    fake, url = slack
    monitor = AlertMonitor(pool, make_settings(database_url=empty_db.app_url), Slack(url))
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        f.make_alert(conn, kind="batch_failed", severity="critical",
                     message="The nightly run failed 2 item(s).")  # fmt: skip
    fake.refuse = 1
    await monitor.check()
    assert fake.messages == []
    with psycopg.connect(empty_db.admin_url) as conn:
        assert conn.execute("select sent_at from alerts").fetchone() == (None,)
    await monitor.check()
    assert len(fake.messages) == 1 and "nightly run failed" in fake.texts()[0]
    await monitor.check()
    assert len(fake.messages) == 1, "sent once"
    await monitor.slack.aclose()


async def test_two_senders_post_each_alert_once_with_no_transaction_open_meanwhile(
    empty_db, pool, slack, make_settings
):
    fake, url = slack
    settings = make_settings(database_url=empty_db.app_url)
    first, second = (AlertMonitor(pool, settings, Slack(url)) for _ in range(2))
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        for n in range(3):
            f.make_alert(conn, message=f"Alert number {n}.", incident=f"batch_failed:{n}")
        lapsed = f.make_alert(conn, message="Claimed by a sender that died.",
                              incident="batch_failed:lapsed",
                              send_claimed_at=datetime.now(UTC) - timedelta(minutes=3))  # fmt: skip
        f.make_alert(conn, message="Claimed a moment ago by a live sender.",
                     incident="batch_failed:live", send_claimed_at=datetime.now(UTC))  # fmt: skip
    fake.delay = 0.3
    delivering = asyncio.gather(first.deliver(), second.deliver())
    await asyncio.sleep(0.15)  # a post is in flight: no alert row is locked meanwhile
    with psycopg.connect(empty_db.admin_url) as conn:
        assert len(conn.execute("select id from alerts for update nowait").fetchall()) == 5
    assert sorted(await delivering) in ([0, 4], [1, 3], [2, 2])
    texts = sorted(fake.texts())
    assert len(texts) == 4 and len(set(texts)) == 4, "each alert once"
    assert any("died" in t for t in texts) and not any("live sender" in t for t in texts)
    with psycopg.connect(empty_db.admin_url) as conn:
        assert conn.execute("select sent_at is not null from alerts where id = %s",
                            (lapsed,)).fetchone() == (True,)  # fmt: skip
    for monitor in (first, second):
        await monitor.slack.aclose()


async def test_a_database_outage_alerts_once_and_is_recorded_when_it_is_back(
    tmp_path, slack, make_settings
):
    fake, url = slack
    server = start_embedded(tmp_path / "alerts", database="lpxgp_alerts")
    try:
        await apply_migrations(server.admin_url)
        settings = make_settings(database_url=server.app_url, db_pool_timeout_seconds=1)
        pool = create_pool(server.app_url, settings)
        await pool.open(wait=True)
        monitor = AlertMonitor(pool, settings, Slack(url))
        try:
            assert await monitor.check() == []
            server.stop()
            assert await monitor.check() == ["database_connection"]
            assert await monitor.check() == ["database_connection"]
            assert len(fake.messages) == 1 and "does not answer" in fake.texts()[0]
            server.start()
            for _ in range(20):  # until the pool has a connection again
                await monitor.check()
                if monitor.database_down_since is None:
                    break
                await asyncio.sleep(0.5)
            assert monitor.database_down_since is None
            assert await monitor.check() == []
        finally:
            await pool.close()
            await monitor.slack.aclose()
        with psycopg.connect(server.admin_url) as conn:
            row = conn.execute("select incident, sent_at is not null, resolved_at is not null"
                               " from alerts").fetchall()  # fmt: skip
        assert row == [("database_connection", True, True)]
        assert len(fake.messages) == 1, "recorded as already sent"
    finally:
        server.stop()


async def test_the_monthly_cost_breakdown(empty_db, pool, make_settings):
    settings = make_settings(database_url=empty_db.app_url, cost_voyage_per_million_tokens=1.0)
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        f.make_llm_call(conn, cost_usd=12.5)
        lp = f.make_lp(conn, mandate_text="x" * 4_000_000)
        f.make_embedding(conn, entity_id=lp, model="voyage-3-lite")
    async with service_transaction(pool) as conn:
        costs = await get_monthly_cost_breakdown(conn, settings)
    assert costs.openrouter == 12.5 and costs.voyage_tokens_estimated == 1_000_000
    assert costs.voyage == 1.0 and costs.railway == 35 and costs.supabase == 25
    assert costs.total == 73.5 and costs.month == datetime.now(UTC).strftime("%Y-%m")


async def test_the_console_lists_alerts_costs_and_metrics(empty_db, make_settings):
    from src.demo.market import DEMO_PASSWORD
    from src.main import create_app
    from tests.agents.batch_support import demo_email, load_demo
    from tests.helpers import post_form, running_client, sign_in

    load_demo(empty_db.admin_url, lps=60, funds=6)
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        alert = f.make_alert(conn, kind="latency", severity="critical",
                             message="p95 latency over the last 15 minutes is 7,200 ms.")  # fmt: skip
        f.make_llm_call(conn, cost_usd=3.25)
    admin = demo_email("platform_admin")
    app = create_app(make_settings(database_url=empty_db.app_url))
    async with running_client(app) as client:
        await sign_in(client, admin, DEMO_PASSWORD)
        page = await client.get("/admin/alerts")
        assert page.status_code == 200
        assert "7,200 ms" in page.text and "$3.25" in page.text and "No Slack webhook" in page.text
        console = await client.get("/admin")
        assert console.text.count('<svg class="chart"') == 6
        assert "LLM cost (USD) per day" in console.text
        done = await post_form(client, f"/admin/alerts/{alert}/acknowledge", {})
        assert done.status_code == 303
        missing = await post_form(client, f"/admin/alerts/{uuid.uuid4()}/acknowledge", {})
        assert missing.status_code == 404
    with psycopg.connect(empty_db.admin_url) as conn:
        assert conn.execute("select acknowledged_at is not null from alerts").fetchone() == (True,)


def test_bar_charts_escape_and_show_an_empty_state():
    from datetime import date, timedelta

    from src.monitoring.charts import bar_chart

    days = [date(2026, 11, 20) + timedelta(days=i) for i in range(3)]
    svg = bar_chart("Requests <script> per day", days, [2, 0, 8])
    assert svg.count("<rect") == 3 and "&lt;script&gt;" in svg and "<script>" not in svg
    assert "max 8" in svg and "22 Nov: 8" in svg
    assert "No data yet" in bar_chart("Errors", days, [0, 0, 0])
