"""Request metrics add up across processes and match a known request mix; platform figures."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from src.db.tenancy import service_transaction
from src.monitoring.metrics import (
    EDGES_MS,
    RequestMetrics,
    get_platform_metrics,
    percentile,
    route_stats,
)
from tests import factories as f
from tests.helpers import running_client


def test_percentiles_interpolate_inside_the_bucket():
    buckets = [0] * (len(EDGES_MS) + 1)
    buckets[EDGES_MS.index(20)] = 90  # 10-20 ms
    buckets[EDGES_MS.index(1000)] = 10  # 500 ms - 1 s
    assert percentile(buckets, 0.5) == pytest.approx(10 + 10 * 50 / 90, abs=0.1)
    assert percentile(buckets, 0.95) == 750.0
    assert percentile([0] * len(buckets), 0.5) is None


async def test_two_processes_add_up_to_the_known_mix(pool):
    at = datetime.now(UTC)
    first, second = RequestMetrics(), RequestMetrics()
    for _ in range(60):
        first.record("GET /lps", 200, 15.0, at=at)
    for _ in range(30):
        second.record("GET /lps", 200, 15.0, at=at)
    for _ in range(10):
        second.record("GET /lps", 503, 800.0, at=at)
    second.record("POST /funds", 303, 40.0, at=at)
    assert await first.flush(pool) == 1 and await second.flush(pool) == 2
    async with service_transaction(pool) as conn:
        stats = {s.route: s for s in await route_stats(conn, minutes=5)}
    lps = stats["GET /lps"]
    assert (lps.requests, lps.errors, lps.error_rate) == (100, 10, 0.1)
    assert 10 < lps.p50_ms <= 20 and 500 < lps.p95_ms <= 1000
    assert lps.mean_ms == pytest.approx((90 * 15 + 10 * 800) / 100, abs=0.1)
    assert stats["POST /funds"].requests == 1 and stats["POST /funds"].errors == 0


async def test_the_app_counts_requests_by_route_template(empty_db, make_settings):
    from src.main import create_app

    app = create_app(make_settings(database_url=empty_db.app_url))
    async with running_client(app) as client:
        for _ in range(3):
            assert (await client.get("/login")).status_code == 200
        for fund in ("1", "2"):
            await client.get(f"/api/v1/funds/{fund}")
        await client.get("/static/css/app.css")
    with psycopg.connect(empty_db.admin_url) as conn:
        rows = dict(conn.execute("select route, sum(requests) from request_metrics"
                                 " group by route").fetchall())  # fmt: skip
    assert rows.get("GET /login") == 3, rows
    assert rows["GET /api/v1/funds/{fund_id}"] == 2  # both ids, one route
    assert not any(route.startswith("GET /static") for route in rows)


async def test_platform_metrics_count_our_own_tables(empty_db, pool):
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        gp = f.make_org(conn, is_gp=True)
        fund = f.make_fund(conn, org_id=gp, status="raising")
        lp = f.make_lp(conn)
        match = f.make_match(conn, fund_id=fund, lp_org_id=lp)
        pitch = f.make_pitch(conn, match_id=match)
        f.make_pitch_version(conn, pitch_id=pitch, generated_by="offline")
        f.make_pitch_version(conn, pitch_id=pitch, generated_by="user")
        f.make_debate(conn, fund_id=fund, lp_org_id=lp)
        f.make_llm_call(conn, cost_usd=0.5)
        user = f.make_user(conn, org_id=gp, access_role="member")
        f.make_audit(conn, actor_user_id=user, action="signed_in")
    metrics = RequestMetrics()
    metrics.record("GET /dashboard", 200, 40.0)
    await metrics.flush(pool)
    async with service_transaction(pool) as conn:
        figures = await get_platform_metrics(conn, days=7)
    assert (figures.active_users, figures.matches_generated, figures.pitches_generated,
            figures.debates, figures.agent_cost_usd) == (1, 1, 1, 1, 0.5)  # fmt: skip
    assert figures.requests == 1 and figures.avg_latency_ms == 40.0 and figures.error_rate == 0
