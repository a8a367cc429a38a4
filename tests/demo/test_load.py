"""Loading the demo market: constraints hold, RLS applies to it, loading twice is refused."""

from __future__ import annotations

import json
from datetime import date

import psycopg
import pytest

from src.demo.load import DatabaseNotEmpty, load_market, reset
from src.demo.market import generate_market

AS_OF = date(2026, 11, 27)
CONTENT = """
    select md5(string_agg(t::text, '|' order by t::text)) from (
      select o.id, o.name, o.website, p.lp_type, p.mandate_text, p.strategies, p.check_size_max_musd
      from organizations o left join lp_profiles p on p.org_id = o.id
      union all
      select f.id, f.name, f.thesis, f.status, f.strategy, f.geographies, f.target_size_musd
      from funds f
    ) t
"""


def small_market(seed: int = 3):
    return generate_market(seed=seed, lps=400, funds=16, as_of=AS_OF)


def test_load_market_passes_every_constraint_and_reports(empty_db):
    market = small_market()
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        report = load_market(conn, market)
        counts = {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
            for table in market.rows
        }
        quality = conn.execute(
            "select min(data_quality_score), max(data_quality_score) from lp_profiles"
        ).fetchone()
    assert counts == market.counts() == report.rows
    assert report.database_bytes > 0 and report.seconds > 0
    assert quality[0] < 0.6 < quality[1]  # completeness varies, as real data does


def test_load_market_same_seed_same_database_content(empty_db):
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        load_market(conn, small_market())
        first = conn.execute(CONTENT).fetchone()
        reset(conn)
        load_market(conn, small_market())
        again = conn.execute(CONTENT).fetchone()
        reset(conn)
        load_market(conn, small_market(seed=4))
        other = conn.execute(CONTENT).fetchone()
    assert first == again != other


def test_load_market_refuses_a_database_that_has_a_market(empty_db):
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        load_market(conn, small_market())
        with pytest.raises(DatabaseNotEmpty):
            load_market(conn, small_market())


def test_reset_keeps_the_scoring_weights(empty_db):
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        before = conn.execute(
            "select version, kind, weights from scoring_weights order by 1"
        ).fetchall()
        load_market(conn, small_market())
        reset(conn)
        after = conn.execute(
            "select version, kind, weights from scoring_weights order by 1"
        ).fetchall()
        orgs = conn.execute("select count(*) from organizations").fetchone()
    assert before == after and len(before) == 2
    assert orgs == (0,)


def test_demo_sign_ins_see_only_their_own_org(empty_db):
    market = small_market()
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        load_market(conn, market)
        users = dict(
            conn.execute(
                "select u.email, u.id from auth.users u where u.email like 'member@%' "
                "or u.email like 'platform@%'"
            ).fetchall()
        )
        total_funds = conn.execute("select count(*) from funds").fetchone()[0]
    seen = {}
    for email, user_id in users.items():
        with psycopg.connect(empty_db.app_url) as conn:
            conn.execute(
                "select set_config('request.jwt.claims', %s, true), set_config('role', 'authenticated', true)",
                (json.dumps({"sub": str(user_id), "role": "authenticated"}),),
            )
            seen[email] = conn.execute(
                "select count(distinct org_id), count(*) from funds"
            ).fetchone()
    member_views = [v for e, v in seen.items() if e.startswith("member@")]
    assert len(member_views) == 2 and all(orgs == 1 and funds >= 2 for orgs, funds in member_views)
    assert seen["platform@example.com"] == (8, total_funds)
