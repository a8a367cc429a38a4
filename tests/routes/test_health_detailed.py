"""GET /health/detailed: platform admins only; database, match cache, agents, integrations."""

from __future__ import annotations

import psycopg

from src.db.migrate import discover
from src.demo.market import DEMO_PASSWORD
from src.main import create_app
from tests import factories as f
from tests.agents.batch_support import demo_email, load_demo
from tests.helpers import PASSWORD, running_client, sign_in


async def test_detailed_health_is_not_found_for_anyone_but_platform_admins(client, service):
    assert (await client.get("/health/detailed")).status_code == 404
    org = f.make_org(service)
    email = f"{f.unique('admin')}@example.org"
    f.make_user(service, org_id=org, access_role="admin", email=email, password=PASSWORD)
    await sign_in(client, email)
    response = await client.get("/health/detailed")
    assert response.status_code == 404 and "agents" not in response.text


async def test_detailed_health_reports_every_part(empty_db, make_settings):
    load_demo(empty_db.admin_url, lps=120, funds=6)
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        f.make_batch_run(conn, job="nightly", status="failed", summary="nightly failed: 1 item")
        fund = conn.execute("select id from funds where status = 'raising' limit 1").fetchone()[0]
        f.make_llm_call(conn, status="error", error="HTTP 503: fake", cost_usd=0.25)
    admin = demo_email("platform_admin")
    member = demo_email("member")
    app = create_app(make_settings(database_url=empty_db.app_url, openrouter_api_key="sk-or-x",
                                   llm_daily_budget_usd=50))  # fmt: skip
    async with running_client(app) as client:
        await sign_in(client, member, DEMO_PASSWORD)
        # Two views of the same fund: the first computes its matches, the second is served
        # from them. The counts reach the database when the app flushes them (at the latest
        # when it stops).
        for _ in range(2):
            assert (await client.get(f"/api/v1/matches?fund_id={fund}")).status_code == 200
    async with running_client(app) as client:
        await sign_in(client, admin, DEMO_PASSWORD)
        response = await client.get("/health/detailed")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    database = body["database"]
    assert database["status"] == "ok" and database["latency_ms"] >= 0
    assert database["pool"]["max"] == 10 and database["pool"]["size"] >= 1
    assert database["migrations"]["latest"] == discover()[-1].version
    assert database["migrations"]["pending"] == []
    assert body["cache"]["match_hits"] == 1 and body["cache"]["match_misses"] == 1
    assert body["cache"]["match_hit_rate"] == 0.5
    agents = body["agents"]
    assert agents["batch"]["nightly"]["status"] == "failed"
    assert agents["llm_cost_today_usd"] == 0.25 and agents["llm_daily_budget_usd"] == 50
    assert agents["escalation_backlog"] >= 0
    openrouter = body["integrations"]["openrouter"]
    assert openrouter == {**openrouter, "configured": True, "status": "failing",
                          "last_error": "HTTP 503: fake"}  # fmt: skip
    assert body["integrations"]["voyage"] == {"configured": False, "status": "not configured"}
    assert body["status"] == "degraded"


async def test_maintenance_mode_closes_pages_and_api_but_not_health(make_app):
    app = make_app(maintenance_mode=True)
    async with running_client(app) as client:
        page = await client.get("/login")
        assert page.status_code == 503 and "Down for maintenance" in page.text
        assert page.headers["retry-after"] == "600"
        api = await client.get("/api/v1/funds")
        assert api.status_code == 503 and "planned maintenance" in api.json()["error"]
        health = await client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "healthy"
        assert (await client.get("/static/css/app.css")).status_code == 200
