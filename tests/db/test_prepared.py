"""Prepared statements: on when the setting says so (a direct or session-mode URL), else off."""

from __future__ import annotations

import psycopg
import pytest

from src.demo.market import DEMO_PASSWORD
from src.main import create_app
from tests.agents.batch_support import load_demo
from tests.helpers import running_client, sign_in


@pytest.mark.parametrize("prepared", [True, False])
async def test_pages_prepare_their_queries_only_when_enabled(empty_db, make_settings, prepared):
    load_demo(empty_db.admin_url, lps=40, funds=4)
    with psycopg.connect(empty_db.admin_url) as conn:
        member, fund = conn.execute(
            "select p.email, f.id from people p join employment e on e.person_id = p.id"
            " join funds f on f.org_id = e.org_id where e.access_role = 'member'"
            " and f.status = 'raising' limit 1"
        ).fetchone()
    app = create_app(make_settings(database_url=empty_db.app_url, db_pool_min_size=1,
                                   db_pool_max_size=1, db_prepared_statements=prepared))  # fmt: skip
    async with running_client(app) as client:
        await sign_in(client, member, DEMO_PASSWORD)
        pages = [await client.get(f"/funds/{fund}/matches") for _ in range(4)]
        assert {page.status_code for page in pages} == {200}
        cards = [page.text.count('class="match-card') for page in pages]
        assert cards[0] > 0 and len(set(cards)) == 1
        async with app.state.pool.connection() as conn:
            cur = await conn.execute("select count(*) from pg_prepared_statements")
            row = await cur.fetchone()
    assert row is not None
    assert (row[0] > 0) is prepared
