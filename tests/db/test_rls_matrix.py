"""Every table × select / insert / update / delete × identity, as the app's login role sees it.

The owning organisation is `org_a`. Each case builds a fresh target row with the service
connection, then tries the statement as one identity on the app role. Allowed statements touch
exactly one row (and are rolled back); denials are asserted by kind: 42501 (no grant, or a row the
policies refuse to let in) or zero rows with the data unchanged (the statement committed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types.json import Jsonb

from src.db.embedded import EmbeddedDatabase
from tests import factories as f

IDENTITIES = ("anon", "member", "viewer", "other_org", "platform_admin")
SIGNED_IN = frozenset({"member", "viewer", "other_org", "platform_admin"})
OWNERS = frozenset({"member", "viewer", "platform_admin"})
WRITERS = frozenset({"member", "platform_admin"})
PLATFORM = frozenset({"platform_admin"})
NOBODY: frozenset[str] = frozenset()

World = dict[str, Any]
Builder = Callable[[psycopg.Connection, World], Any]


@dataclass(frozen=True)
class Table:
    """How to make a row of one table owned by org_a, a new row for it, and who may do what."""

    name: str
    target: Builder
    fresh: Callable[[psycopg.Connection, World, uuid.UUID | None], dict[str, Any]]
    change: tuple[str, Any]
    select: frozenset[str]
    insert: frozenset[str]
    update: frozenset[str]
    delete: frozenset[str]
    key: str = "id"
    label: str = ""
    no_grant: frozenset[str] = field(default_factory=frozenset)

    def allowed(self, op: str) -> frozenset[str]:
        return getattr(self, op)


def policy(
    name: str,
    target: Builder,
    fresh: Builder,
    change: tuple[str, Any],
    *,
    read: frozenset[str],
    write: frozenset[str],
    **kw: Any,
) -> Table:
    """A table whose insert, update and delete rules are the same."""
    fresh_row = lambda conn, w, _user: fresh(conn, w)  # noqa: E731
    return Table(name, target, fresh_row, change, read, write, write, write, **kw)


def gp_table(
    name: str, target: Builder, fresh: Builder, change: tuple[str, Any], **kw: Any
) -> Table:
    """GP-owned: the owning org reads (viewers too) and writes (members); platform admins both."""
    return policy(name, target, fresh, change, read=OWNERS, write=WRITERS, **kw)


def admin_only(
    name: str,
    target: Builder,
    fresh: Builder,
    change: tuple[str, Any],
    *,
    select=PLATFORM,
    **kw: Any,
) -> Table:
    """Written only by platform admins (or the service path); read as `select` says."""
    return policy(name, target, fresh, change, read=select, write=PLATFORM, **kw)


def fresh_lp(conn: psycopg.Connection) -> uuid.UUID:
    return f.make_lp(conn)


def replace_gp_profile(conn: psycopg.Connection, w: World) -> uuid.UUID:
    conn.execute("delete from gp_profiles where org_id = %s", (w["org_a"],))
    return f.make_gp_profile(conn, org_id=w["org_a"])


def no_gp_profile(conn: psycopg.Connection, w: World) -> dict[str, Any]:
    conn.execute("delete from gp_profiles where org_id = %s", (w["org_a"],))
    return {"org_id": w["org_a"], "aum_musd": 800}


TABLES = [
    Table(
        "organizations",
        lambda conn, w: w["org_a"],
        lambda conn, w, _u: {"name": f.unique("New org"), "is_gp": True},
        ("website", "https://changed.example.org"),
        select=OWNERS,
        insert=PLATFORM,
        update=PLATFORM,
        delete=PLATFORM,
    ),
    Table(
        "people",
        lambda conn, w: f.make_person(conn, org_id=w["org_a"], title="Analyst"),
        lambda conn, w, _u: {"full_name": f.unique("New person")},
        ("full_name", "Renamed"),
        select=OWNERS,
        insert=PLATFORM,
        update=PLATFORM,
        delete=PLATFORM,
    ),
    admin_only(
        "employment",
        lambda conn, w: f.make_employment(
            conn, person_id=f.make_person(conn), org_id=w["org_a"], title="Associate"
        ),
        lambda conn, w: {"person_id": f.make_person(conn), "org_id": w["org_a"], "title": "VP"},
        ("title", "Principal"),
        select=OWNERS,
    ),
    gp_table("gp_profiles", replace_gp_profile, no_gp_profile, ("team_size", 99), key="org_id"),
    admin_only(
        "lp_profiles",
        lambda conn, w: fresh_lp(conn),
        lambda conn, w: {
            "org_id": f.make_org(conn, is_gp=False, is_lp=True),
            "lp_type": "endowment",
        },
        ("aum_musd", 1),
        select=SIGNED_IN,
        key="org_id",
    ),
    gp_table(
        "funds",
        lambda conn, w: f.make_fund(conn, org_id=w["org_a"]),
        lambda conn, w: {"org_id": w["org_a"], "name": "New Fund", "strategy": "secondaries"},
        ("name", "Renamed Fund"),
    ),
    gp_table(
        "fund_track_records",
        lambda conn, w: f.make_track_record(conn, fund_id=w["fund_a"]),
        lambda conn, w: {
            "fund_id": w["fund_a"],
            "org_id": w["org_a"],
            "name": "Fund 0",
            "vintage_year": 2009,
        },
        ("name", "Renamed Prior"),
    ),
    admin_only(
        "investments",
        lambda conn, w: f.make_investment(conn, lp_org_id=w["lp"]),
        lambda conn, w: {"lp_org_id": w["lp"], "fund_name": f.unique("Fund")},
        ("amount_musd", 1),
        select=SIGNED_IN,
    ),
    admin_only(
        "scoring_weights",
        lambda conn, w: f.make_scoring_weights(conn),
        lambda conn, w: {"kind": "blend", "weights": Jsonb({"rule": 100})},
        ("notes", "changed"),
        select=SIGNED_IN,
        key="version",
    ),
    gp_table(
        "embeddings",
        lambda conn, w: f.make_embedding(
            conn,
            entity_type="fund_thesis",
            entity_id=w["fund_a"],
            org_id=w["org_a"],
            model=f.unique("m"),
        ),
        lambda conn, w: {
            "entity_type": "fund_thesis",
            "entity_id": w["fund_a"],
            "org_id": w["org_a"],
            "model": f.unique("m"),
            "dims": 2,
            "text_hash": "h",
            "embedding": "[1,0]",
        },
        ("text_hash", "changed"),
        label="fund_thesis",
    ),
    admin_only(
        "embeddings",
        lambda conn, w: f.make_embedding(conn, entity_id=w["lp"], model=f.unique("m")),
        lambda conn, w: {
            "entity_type": "lp_mandate",
            "entity_id": w["lp"],
            "model": f.unique("m"),
            "dims": 2,
            "text_hash": "h",
            "embedding": "[1,0]",
        },
        ("text_hash", "changed"),
        select=SIGNED_IN,
        label="lp_mandate",
    ),
    gp_table(
        "fund_lp_matches",
        lambda conn, w: f.make_match(conn, fund_id=w["fund_a"], lp_org_id=fresh_lp(conn)),
        lambda conn, w: {
            "fund_id": w["fund_a"],
            "org_id": w["org_a"],
            "lp_org_id": fresh_lp(conn),
            "score": 55,
        },
        ("score", 10),
    ),
    gp_table(
        "fund_lp_status",
        lambda conn, w: f.make_status(conn, fund_id=w["fund_a"], lp_org_id=fresh_lp(conn)),
        lambda conn, w: {"fund_id": w["fund_a"], "org_id": w["org_a"], "lp_org_id": fresh_lp(conn)},
        ("notes", "call in Q3"),
    ),
    gp_table(
        "fund_decks",
        lambda conn, w: f.make_deck(conn, fund_id=w["fund_a"]),
        lambda conn, w: {
            "fund_id": w["fund_a"],
            "org_id": w["org_a"],
            "storage_path": f"{w['org_a']}/{uuid.uuid4()}.pdf",
            "file_name": "d.pdf",
            "size_bytes": 10,
            "page_count": 1,
        },
        ("status", "discarded"),
    ),
    # The activity feed: the org reads it, its members append, nobody rewrites it.
    Table(
        "pipeline_events",
        lambda conn, w: f.make_pipeline_event(conn, fund_id=w["fund_a"], lp_org_id=fresh_lp(conn)),
        lambda conn, w, _u: {
            "fund_id": w["fund_a"],
            "org_id": w["org_a"],
            "lp_org_id": fresh_lp(conn),
            "kind": "note",
        },
        ("kind", "stage"),
        select=OWNERS,
        insert=WRITERS,
        update=NOBODY,
        delete=NOBODY,
        no_grant=frozenset({"update", "delete"}),
    ),
    gp_table(
        "match_feedback",
        lambda conn, w: f.make_feedback(conn, match_id=w["match_a"]),
        lambda conn, w: {"match_id": w["match_a"], "org_id": w["org_a"], "rating": -1},
        ("comment", "changed"),
    ),
    gp_table(
        "match_outcomes",
        lambda conn, w: f.make_outcome(conn, fund_id=w["fund_a"], lp_org_id=fresh_lp(conn)),
        lambda conn, w: {
            "fund_id": w["fund_a"],
            "org_id": w["org_a"],
            "lp_org_id": fresh_lp(conn),
            "outcome": "no_response",
        },
        ("notes", "changed"),
    ),
    gp_table(
        "pitches",
        lambda conn, w: f.make_pitch(conn, match_id=w["match_a"]),
        lambda conn, w: {
            "match_id": w["match_a"],
            "org_id": w["org_a"],
            "kind": "executive_summary",
        },
        ("tone", "formal"),
    ),
    gp_table(
        "pitch_versions",
        lambda conn, w: f.make_pitch_version(conn, pitch_id=w["pitch_a"]),
        lambda conn, w: {
            "pitch_id": w["pitch_a"],
            "org_id": w["org_a"],
            "version": 10_000 + int(f.unique("v").split("-")[1]),
            "body": "Hello",
            "generated_by": "user",
        },
        ("subject", "changed"),
    ),
    admin_only(
        "agent_debates",
        lambda conn, w: f.make_debate(conn, fund_id=w["fund_a"], lp_org_id=w["lp"]),
        lambda conn, w: {"fund_id": w["fund_a"], "org_id": w["org_a"], "lp_org_id": w["lp"]},
        ("status", "failed"),
        select=OWNERS,
    ),
    admin_only(
        "agent_debate_messages",
        lambda conn, w: f.make_debate_message(conn, debate_id=w["debate_a"]),
        lambda conn, w: {
            "debate_id": w["debate_a"],
            "org_id": w["org_a"],
            "round": 2,
            "agent": "bear",
            "content": Jsonb({}),
        },
        ("score", 12),
        select=OWNERS,
    ),
    admin_only(
        "agent_escalations",
        lambda conn, w: f.make_escalation(conn, debate_id=w["debate_a"]),
        lambda conn, w: {
            "debate_id": w["debate_a"],
            "org_id": w["org_a"],
            "kind": "deal_breaker",
            "priority": "high",
        },
        ("priority", "low"),
    ),
    admin_only(
        "batch_runs",
        lambda conn, w: f.make_batch_run(conn),
        lambda conn, w: {"job": "incremental"},
        ("status", "failed"),
    ),
    admin_only(
        "batch_items",
        lambda conn, w: f.make_batch_item(conn, fund_id=w["fund_a"]),
        lambda conn, w: {
            "run_id": f.make_batch_run(conn),
            "phase": "score",
            "fund_id": w["fund_a"],
        },  # fmt: skip
        ("priority", 7),
    ),
    # Written only by triggers (security definer): platform admins read it.
    Table(
        "entity_changes",
        lambda conn, w: f.make_entity_change(conn, entity_id=w["lp"]),
        lambda conn, w, _u: {"entity_type": "fund", "entity_id": w["fund_a"]},
        ("entity_type", "fund"),
        select=PLATFORM,
        insert=NOBODY,
        update=NOBODY,
        delete=NOBODY,
        no_grant=frozenset({"insert", "update", "delete"}),
    ),
    # Shared market knowledge with no organisation in it: every signed-in user reads it, only
    # the retrain (service path) writes it.
    Table(
        "collaborative_signals",
        lambda conn, w: f.make_collaborative_signal(conn),
        lambda conn, w, _u: {
            "lp_type": f.unique("t"),
            "fund_strategy": "venture",
            "contributors": 5,
            "samples": 5,
            "responses": 1,
            "response_rate": 0.2,
        },  # fmt: skip
        ("samples", 9),
        select=SIGNED_IN,
        insert=NOBODY,
        update=NOBODY,
        delete=NOBODY,
        key="lp_type",
        no_grant=frozenset({"insert", "update", "delete"}),
    ),
    # Written by the app's counters on the service path; platform admins read them.
    Table(
        "metric_counters",
        lambda conn, w: f.make_metric_counter(conn),
        lambda conn, w, _u: {"minute": "2026-11-27 11:00:00+00", "name": "test.rls", "value": 1},
        ("value", 9),
        select=PLATFORM,
        insert=NOBODY,
        update=NOBODY,
        delete=NOBODY,
        key="name",
        no_grant=frozenset({"insert", "update", "delete"}),
    ),
    Table(
        "request_metrics",
        lambda conn, w: f.make_request_metric(conn),
        lambda conn, w, _u: {
            "minute": "2026-11-27 11:00:00+00",
            "route": "GET /rls",
            "requests": 1,
            "errors": 0,
            "latency_ms_total": 3.0,
            "buckets": [0, 0, 1] + [0] * 13,
        },  # fmt: skip
        ("requests", 9),
        select=PLATFORM,
        insert=NOBODY,
        update=NOBODY,
        delete=NOBODY,
        key="route",
        no_grant=frozenset({"insert", "update", "delete"}),
    ),
    admin_only(
        "retrain_reports",
        lambda conn, w: f.make_retrain_report(conn),
        lambda conn, w: {"decision": "kept", "message": "m"},
        ("message", "changed"),
    ),
    admin_only(
        "llm_calls",
        lambda conn, w: f.make_llm_call(conn),
        lambda conn, w: {"agent": "bear", "model": "m", "status": "error"},
        ("error", "timeout"),
    ),
    admin_only(
        "alerts",
        lambda conn, w: f.make_alert(conn),
        lambda conn, w: {"kind": "cost", "severity": "warning", "message": "m"},
        ("message", "changed"),
    ),
    admin_only(
        "invitations",
        lambda conn, w: f.make_invitation(conn, org_id=w["org_a"]),
        lambda conn, w: {
            "org_id": w["org_a"],
            "email": f"{f.unique('new')}@example.org",
            "access_role": "viewer",
            "token_hash": f.unique("h"),
        },
        ("access_role", "viewer"),
    ),
    Table(
        "audit_log",
        lambda conn, w: f.make_audit(conn, org_id=w["org_a"], actor_user_id=w["member"]),
        # Anyone signed in may append an entry about themselves; nobody rewrites history.
        lambda conn, w, user: {"action": "viewed", "org_id": w["org_a"], "actor_user_id": user},
        ("action", "rewritten"),
        select=PLATFORM,
        insert=SIGNED_IN,
        update=NOBODY,
        delete=NOBODY,
        no_grant=frozenset({"update", "delete"}),
    ),
    # Written only by SECURITY DEFINER functions (sign-in, sign-out): no write grant at all.
    Table(
        "sign_in_guards",
        lambda conn, w: f.make_sign_in_guard(conn),
        lambda conn, w, _u: {"email_key": f.unique("k"), "failures": 1},
        ("failures", 9),
        select=PLATFORM,
        insert=NOBODY,
        update=NOBODY,
        delete=NOBODY,
        key="email_key",
        no_grant=frozenset({"update", "delete"}),
    ),
    Table(
        "session_revocations",
        lambda conn, w: f.make_session_revocation(conn, user_id=w["member"]),
        lambda conn, w, user: {"user_id": user or uuid.uuid4(), "reason": "sign_out"},
        ("reason", "deactivated"),
        select=frozenset({"member", "platform_admin"}),  # your own, and platform admins
        insert=NOBODY,
        update=NOBODY,
        delete=NOBODY,
        no_grant=frozenset({"update", "delete"}),
    ),
    Table(
        "lp_flags",
        lambda conn, w: f.make_lp_flag(
            conn, lp_org_id=w["lp"], flagged_by=f.person_of(conn, w["member"])
        ),
        # Anyone signed in may flag an LP as themselves; the queue is the platform admins'.
        lambda conn, w, user: {
            "lp_org_id": w["lp"],
            "reason": "stale",
            "flagged_by": f.person_of(conn, user) if user else None,
        },
        ("reason", "changed"),
        select=frozenset({"member", "platform_admin"}),  # your own flags, and platform admins
        insert=SIGNED_IN,
        update=PLATFORM,
        delete=PLATFORM,
    ),
    admin_only(
        "lp_imports",
        lambda conn, w: f.make_lp_import(conn),
        lambda conn, w: {
            "filename": "x.csv",
            "file_sha256": "1" * 64,
            "storage_path": "p",
            "encoding": "utf-8",
            "delimiter": ";",
            "row_count": 1,
        },  # fmt: skip
        ("status", "failed"),
    ),
    Table(
        "outbox",
        lambda conn, w: f.make_outbox_message(conn),
        lambda conn, w, _u: {
            "to_email": "x@example.org",
            "kind": "invitation",
            "subject": "s",
            "body": "b",
        },
        ("subject", "changed"),
        select=PLATFORM,
        insert=NOBODY,
        update=NOBODY,
        delete=NOBODY,
        no_grant=frozenset({"update", "delete"}),
    ),
]


@pytest.fixture(scope="module")
def service(migrated_db: EmbeddedDatabase) -> Iterator[psycopg.Connection]:
    with psycopg.connect(migrated_db.admin_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def app_conn(migrated_db: EmbeddedDatabase) -> Iterator[psycopg.Connection]:
    with psycopg.connect(migrated_db.app_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def world(service: psycopg.Connection) -> World:
    w: World = {
        "org_a": f.make_org(service, name="Matrix GP A"),
        "org_b": f.make_org(service, name="Matrix GP B"),
    }
    f.make_user(service, org_id=w["org_a"], access_role="admin")
    w["member"] = f.make_user(service, org_id=w["org_a"], access_role="member")
    w["viewer"] = f.make_user(service, org_id=w["org_a"], access_role="viewer")
    w["other_org"] = f.make_user(service, org_id=w["org_b"], access_role="member")
    w["platform_admin"] = f.make_user(service, is_super_admin=True)
    w["anon"] = None
    w["fund_a"] = f.make_fund(service, org_id=w["org_a"])
    w["lp"] = f.make_lp(service)
    w["match_a"] = f.make_match(service, fund_id=w["fund_a"], lp_org_id=w["lp"])
    w["pitch_a"] = f.make_pitch(service, match_id=w["match_a"])
    w["debate_a"] = f.make_debate(service, fund_id=w["fund_a"], lp_org_id=w["lp"])
    return w


def set_identity(conn: psycopg.Connection, user: uuid.UUID | None) -> None:
    """What the app does at the start of each request transaction (claims, then role)."""
    role = "authenticated" if user else "anon"
    claims = {"sub": str(user), "role": role} if user else {"role": "anon"}
    conn.execute(
        "select set_config('request.jwt.claims', %(c)s, true), set_config('role', %(r)s, true)",
        {"c": json.dumps(claims), "r": role},
    )


def attempt(
    conn: psycopg.Connection,
    user: uuid.UUID | None,
    statement: sql.Composable,
    params: dict,
    *,
    commit: bool,
) -> int | str:
    """Rows touched, or the SQLSTATE of the refusal."""
    try:
        with conn.transaction():
            set_identity(conn, user)
            rows = conn.execute(statement, params).rowcount
            if not commit:
                raise psycopg.Rollback
    except psycopg.Error as exc:
        assert exc.sqlstate is not None
        return exc.sqlstate
    return rows


def statement_for(table: Table, op: str, values: dict[str, Any]) -> sql.Composable:
    name = sql.Identifier(table.name)
    where = sql.SQL("{} = %(key)s").format(sql.Identifier(table.key))
    if op == "select":
        return sql.SQL("select 1 from {} where {}").format(name, where)
    if op == "update":
        column = sql.Identifier(table.change[0])
        return sql.SQL("update {} set {} = %(value)s where {}").format(name, column, where)
    if op == "delete":
        return sql.SQL("delete from {} where {}").format(name, where)
    return sql.SQL("insert into {} ({}) values ({})").format(
        name,
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(sql.Placeholder(k) for k in values),
    )


def current(service: psycopg.Connection, table: Table, key: Any) -> tuple | None:
    query = sql.SQL("select {} from {} where {} = %s").format(
        sql.Identifier(table.change[0]), sql.Identifier(table.name), sql.Identifier(table.key)
    )
    return service.execute(query, (key,)).fetchone()


CASES = [
    pytest.param(
        table,
        op,
        who,
        id=f"{table.name}{'[' + table.label + ']' if table.label else ''}-{op}-{who}",
    )
    for table in TABLES
    for op in ("select", "insert", "update", "delete")
    for who in IDENTITIES
]


@pytest.mark.parametrize(("table", "op", "who"), CASES)
def test_rls_matrix(service, app_conn, world, table: Table, op: str, who: str):
    user = world[who]
    values = table.fresh(service, world, user) if op == "insert" else {}
    key = table.target(service, world) if op != "insert" else None
    allowed = who in table.allowed(op)
    refused_by_error = who == "anon" or op == "insert" or op in table.no_grant
    before = current(service, table, key) if op != "insert" else None

    outcome = attempt(
        app_conn,
        user,
        statement_for(table, op, values),
        {**values, "key": key, "value": table.change[1]},
        commit=not allowed,
    )

    if allowed:
        assert outcome == 1, f"{who} should {op} {table.name}"
    elif refused_by_error:
        assert outcome == errors.InsufficientPrivilege.sqlstate, (
            f"{who} {op} {table.name}: {outcome}"
        )
    else:
        assert outcome == 0, f"{who} should not {op} {table.name}"
        assert current(service, table, key) == before, "a refused statement changed data"


def test_matrix_covers_every_table(service):
    tables = {
        row[0]
        for row in service.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and c.relkind = 'r'"
        )
    }
    assert tables == {t.name for t in TABLES}


def test_every_operation_has_an_allowed_and_a_denied_identity():
    for table in TABLES:
        for op in ("select", "insert", "update", "delete"):
            allowed = table.allowed(op)
            assert set(IDENTITIES) - allowed, (table.name, op)
            # Append-only or function-written tables: nobody may write them directly, by grant.
            assert allowed or op in table.no_grant or op == "insert", (table.name, op)
