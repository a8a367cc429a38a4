"""Admin → Batch: runs, their progress and failures, and starting a worker from the console."""

from __future__ import annotations

import asyncio

import psycopg
from bs4 import BeautifulSoup

from src.demo.market import DEMO_PASSWORD
from src.main import create_app
from tests import factories as f
from tests.agents.batch_support import demo_email, load_demo, scalar
from tests.helpers import PASSWORD, post_form, running_client, sign_in


async def test_runs_list_detail_and_a_worker_started_from_the_console(empty_db, make_settings):
    load_demo(empty_db.admin_url, lps=120, funds=6)
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        fund = conn.execute("select id from funds where status = 'raising' limit 1").fetchone()[0]
        old = f.make_batch_run(conn, job="incremental", status="failed",
                               summary="incremental failed: score: 1 done of 2, 1 failed")  # fmt: skip
        f.make_batch_item(conn, run_id=old, fund_id=fund, status="done")
        f.make_batch_item(conn, run_id=old, fund_id=fund, phase="debate", status="failed",
                          lp_org_id=conn.execute("select org_id from lp_profiles limit 1")
                          .fetchone()[0], error="ValueError: bad reply")  # fmt: skip
    app = create_app(make_settings(database_url=empty_db.app_url, batch_deadline_utc=None,
                                   batch_debates_per_fund=1, batch_pitches_per_fund=1))  # fmt: skip
    async with running_client(app) as client:
        await sign_in(client, demo_email("platform_admin"), DEMO_PASSWORD)
        page = await client.get("/admin/batch")
        assert page.status_code == 200 and "Incremental (every 4 hours)" in page.text
        assert "1 failed" in page.text
        detail = await client.get(f"/admin/batch/{old}")
        assert detail.status_code == 200
        assert "ValueError: bad reply" in detail.text and "<progress" in detail.text
        rerun = BeautifulSoup(detail.text, "html.parser").find("button", string="Run again")
        assert rerun.find_parent("form")["action"] == "/admin/batch/incremental/run"

        unknown = await post_form(client, "/admin/batch/weekly/run", {})
        assert unknown.status_code == 422 and "Unknown job" in unknown.text

        started = await post_form(client, "/admin/batch/nightly/run", {})
        assert started.status_code == 303
        for _ in range(200):
            status = scalar(
                empty_db.admin_url, "select status from batch_runs where job = 'nightly'"
            )
            if status not in (None, "running"):
                break
            await asyncio.sleep(0.1)
        assert status == "succeeded"
        run = scalar(empty_db.admin_url, "select id from batch_runs where job = 'nightly'")
        finished = await client.get(f"/admin/batch/{run}", headers={"HX-Request": "true"})
        assert "Succeeded" in finished.text and "hx-trigger" not in finished.text
        assert scalar(empty_db.admin_url, "select count(*) from agent_debates") > 0


async def test_members_cannot_see_batch_runs(client, service):
    org = f.make_org(service)
    email = f"{f.unique('m')}@example.org"
    f.make_user(service, org_id=org, access_role="admin", email=email, password=PASSWORD)
    await sign_in(client, email)
    assert (await client.get("/admin/batch")).status_code in (403, 404)
