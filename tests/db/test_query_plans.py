"""The hot queries keep plans that scale: checked with EXPLAIN, sequential scans disabled, so a
query the planner *cannot* answer from an index shows up as a (disabled) Seq Scan."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from src.db.embedded import EmbeddedDatabase
from src.db.queries.users import CURRENT_USER
from src.services import lps
from src.services.lps import LpFilters
from tests import factories as f


def plan(db: EmbeddedDatabase, user: uuid.UUID, query: sql.Composable | str, params: dict) -> str:
    with psycopg.connect(db.app_url) as conn:
        claims = json.dumps({"sub": str(user), "role": "authenticated"})
        conn.execute(
            "select set_config('role', 'authenticated', true),"
            " set_config('request.jwt.claims', %s, true), set_config('enable_seqscan', 'off', true)",
            (claims,),
        )
        explain = sql.SQL("explain ") + (sql.SQL(query) if isinstance(query, str) else query)
        lines = [row[0] for row in conn.execute(explain, params)]
        conn.rollback()
    return "\n".join(lines)


def test_the_signed_in_user_is_found_by_index_not_by_scanning_people(migrated_db, service):
    auth_id = (f.make_user(service, org_id=f.make_org(service)),)
    shown = plan(
        migrated_db,
        auth_id[0],
        CURRENT_USER,
        {"session_id": uuid.uuid4(), "authenticated_at": datetime.now(UTC)},
    )
    assert "people_auth_user_id_key" in shown, shown
    assert "Seq Scan on people" not in shown, shown


def test_lp_filters_reach_their_indexes_through_the_market_view(migrated_db, service):
    auth_id = (f.make_user(service, org_id=f.make_org(service)),)
    where = lps.build_where(LpFilters(q="pension", aum_min=1000))
    query = sql.SQL("select count(*) from market.lp_profiles p where {}").format(where.clause())
    shown = plan(migrated_db, auth_id[0], query, where.params)
    assert "Seq Scan on lp_profiles" not in shown, shown
