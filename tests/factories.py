"""Test data: one helper per table, sensible defaults, keyword overrides, returns the new id.

They write through the connection they are given (usually the admin/service connection), so a
test builds exactly the rows it needs. Overrides are column values; an unknown column fails.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from src.auth.passwords import hash_password

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A readable value no other factory call returns in this process."""
    return f"{prefix}-{next(_counter)}"


def insert(conn: psycopg.Connection, table: str, values: dict[str, Any], key: str = "id") -> Any:
    """Insert one row and return its key column."""
    statement = sql.SQL("insert into {} ({}) values ({}) returning {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(sql.Placeholder(name) for name in values),
        sql.Identifier(key),
    )
    row = conn.execute(statement, values).fetchone()
    assert row is not None
    return row[0]


def make_org(conn: psycopg.Connection, **values: Any) -> uuid.UUID:
    defaults = {"name": unique("Org"), "is_gp": True, "is_lp": False}
    return insert(conn, "organizations", {**defaults, **values})


def make_gp_profile(conn: psycopg.Connection, *, org_id: uuid.UUID, **values: Any) -> uuid.UUID:
    defaults = {"org_id": org_id, "aum_musd": 1200, "founded_year": 2012, "team_size": 14}
    return insert(conn, "gp_profiles", {**defaults, **values}, key="org_id")


def make_lp(
    conn: psycopg.Connection, *, org: dict[str, Any] | None = None, **values: Any
) -> uuid.UUID:
    """An LP organisation with its profile; `org` overrides organisation columns."""
    org_id = make_org(conn, **{"name": unique("LP"), "is_gp": False, "is_lp": True, **(org or {})})
    defaults = {
        "org_id": org_id,
        "lp_type": "public_pension",
        "aum_musd": 25000,
        "strategies": ["private_equity"],
        "geographies": ["europe"],
        "region": "europe",
        "check_size_min_musd": 20,
        "check_size_max_musd": 100,
        "fund_size_min_musd": 300,
        "fund_size_max_musd": 3000,
    }
    insert(conn, "lp_profiles", {**defaults, **values}, key="org_id")
    return org_id


def make_auth_user(
    conn: psycopg.Connection, *, email: str | None = None, password: str | None = None
) -> uuid.UUID:
    row = conn.execute(
        "insert into auth.users (email, encrypted_password, email_confirmed_at) "
        "values (%(email)s, %(hash)s, now()) returning id",
        {
            "email": email or f"{unique('user')}@example.org",
            "hash": hash_password(password) if password else None,
        },
    ).fetchone()
    assert row is not None
    return row[0]


def make_person(
    conn: psycopg.Connection,
    *,
    org_id: uuid.UUID | None = None,
    access_role: str | None = None,
    title: str | None = None,
    **values: Any,
) -> uuid.UUID:
    """A person, optionally employed at `org_id` (use make_user for one who can sign in)."""
    defaults: dict[str, Any] = {"full_name": unique("Person")}
    person_id = insert(conn, "people", {**defaults, **values})
    if org_id is not None:
        make_employment(
            conn, person_id=person_id, org_id=org_id, access_role=access_role, title=title
        )
    return person_id


def make_user(
    conn: psycopg.Connection,
    *,
    org_id: uuid.UUID | None = None,
    access_role: str | None = None,
    email: str | None = None,
    password: str | None = None,
    **values: Any,
) -> uuid.UUID:
    """A person who can sign in; returns their auth user id (what RLS sees as `auth.uid()`)."""
    email = email or f"{unique('user')}@example.org"
    user_id = make_auth_user(conn, email=email, password=password)
    make_person(
        conn, org_id=org_id, access_role=access_role, auth_user_id=user_id, email=email, **values
    )
    return user_id


def person_of(conn: psycopg.Connection, user_id: uuid.UUID) -> uuid.UUID:
    return conn.execute("select id from people where auth_user_id = %s", (user_id,)).fetchone()[0]


def make_employment(conn: psycopg.Connection, **values: Any) -> uuid.UUID:
    return insert(conn, "employment", values)


def make_fund(conn: psycopg.Connection, *, org_id: uuid.UUID, **values: Any) -> uuid.UUID:
    defaults = {
        "org_id": org_id,
        "name": unique("Fund"),
        "status": "raising",
        "strategy": "private_equity/buyout",
        "target_size_musd": 500,
        "geographies": ["europe"],
    }
    return insert(conn, "funds", {**defaults, **values})


def owner_org(conn: psycopg.Connection, table: str, row_id: uuid.UUID) -> uuid.UUID:
    """The org_id of a GP-owned row, which its children must repeat."""
    query = sql.SQL("select org_id from {} where id = %s").format(sql.Identifier(table))
    row = conn.execute(query, (row_id,)).fetchone()
    assert row is not None, f"no {table} row {row_id}"
    return row[0]


def pair(conn: psycopg.Connection, fund_id: uuid.UUID, lp_org_id: uuid.UUID) -> dict[str, Any]:
    """The key columns of a fund × LP row."""
    return {"fund_id": fund_id, "org_id": owner_org(conn, "funds", fund_id), "lp_org_id": lp_org_id}


def make_track_record(conn: psycopg.Connection, *, fund_id: uuid.UUID, **values: Any) -> uuid.UUID:
    defaults = {
        "fund_id": fund_id,
        "org_id": owner_org(conn, "funds", fund_id),
        "name": unique("Prior Fund"),
        "vintage_year": 2016,
        "size_musd": 300,
        "net_irr_pct": 17.5,
        "tvpi": 1.9,
    }
    return insert(conn, "fund_track_records", {**defaults, **values})


def make_investment(conn: psycopg.Connection, *, lp_org_id: uuid.UUID, **values: Any) -> uuid.UUID:
    defaults = {"lp_org_id": lp_org_id, "fund_name": unique("Market Fund"), "amount_musd": 25}
    return insert(conn, "investments", {**defaults, **values})


def make_scoring_weights(conn: psycopg.Connection, **values: Any) -> int:
    defaults = {"kind": "rule", "weights": psycopg.types.json.Jsonb({"sector": 100})}
    return insert(conn, "scoring_weights", {**defaults, **values}, key="version")


def make_embedding(conn: psycopg.Connection, *, entity_id: uuid.UUID, **values: Any) -> uuid.UUID:
    defaults = {
        "entity_type": "lp_mandate",
        "entity_id": entity_id,
        "model": "test-model-3d",
        "dims": 3,
        "text_hash": unique("hash"),
        "embedding": "[0.6,0.8,0]",
    }
    return insert(conn, "embeddings", {**defaults, **values})


def make_match(
    conn: psycopg.Connection, *, fund_id: uuid.UUID, lp_org_id: uuid.UUID, **values: Any
) -> uuid.UUID:
    defaults = {**pair(conn, fund_id, lp_org_id), "score": 72, "rule_score": 70}
    return insert(conn, "fund_lp_matches", {**defaults, **values})


def make_status(
    conn: psycopg.Connection, *, fund_id: uuid.UUID, lp_org_id: uuid.UUID, **values: Any
) -> uuid.UUID:
    return insert(conn, "fund_lp_status", {**pair(conn, fund_id, lp_org_id), **values})


def make_deck(conn: psycopg.Connection, *, fund_id: uuid.UUID, **values: Any) -> uuid.UUID:
    org_id = owner_org(conn, "funds", fund_id)
    defaults = {
        "fund_id": fund_id,
        "org_id": org_id,
        "storage_path": f"{org_id}/{uuid.uuid4()}.pdf",
        "file_name": "deck.pdf",
        "size_bytes": 1000,
        "page_count": 3,
        "proposals": Jsonb({}),
    }
    return insert(conn, "fund_decks", {**defaults, **values})


def make_pipeline_event(
    conn: psycopg.Connection, *, fund_id: uuid.UUID, lp_org_id: uuid.UUID, **values: Any
) -> Any:
    defaults = {**pair(conn, fund_id, lp_org_id), "kind": "note"}
    return insert(conn, "pipeline_events", {**defaults, **values})


def make_feedback(conn: psycopg.Connection, *, match_id: uuid.UUID, **values: Any) -> uuid.UUID:
    defaults = {
        "match_id": match_id,
        "org_id": owner_org(conn, "fund_lp_matches", match_id),
        "rating": 1,
    }
    return insert(conn, "match_feedback", {**defaults, **values})


def make_outcome(
    conn: psycopg.Connection, *, fund_id: uuid.UUID, lp_org_id: uuid.UUID, **values: Any
) -> uuid.UUID:
    defaults = {**pair(conn, fund_id, lp_org_id), "outcome": "committed", "amount_musd": 30}
    return insert(conn, "match_outcomes", {**defaults, **values})


def make_pitch(conn: psycopg.Connection, *, match_id: uuid.UUID, **values: Any) -> uuid.UUID:
    org_id = owner_org(conn, "fund_lp_matches", match_id)
    defaults = {"match_id": match_id, "org_id": org_id, "kind": "email"}
    return insert(conn, "pitches", {**defaults, **values})


def make_pitch_version(
    conn: psycopg.Connection, *, pitch_id: uuid.UUID, **values: Any
) -> uuid.UUID:
    org_id = owner_org(conn, "pitches", pitch_id)
    version = conn.execute(
        "select coalesce(max(version), 0) + 1 from pitch_versions where pitch_id = %s", (pitch_id,)
    ).fetchone()[0]
    defaults = {
        "pitch_id": pitch_id,
        "org_id": org_id,
        "version": version,
        "body": "Dear team, ...",
        "generated_by": "offline",
    }
    return insert(conn, "pitch_versions", {**defaults, **values})


def make_debate(
    conn: psycopg.Connection, *, fund_id: uuid.UUID, lp_org_id: uuid.UUID, **values: Any
) -> uuid.UUID:
    return insert(conn, "agent_debates", {**pair(conn, fund_id, lp_org_id), **values})


def make_debate_message(
    conn: psycopg.Connection, *, debate_id: uuid.UUID, **values: Any
) -> uuid.UUID:
    org_id = owner_org(conn, "agent_debates", debate_id)
    defaults = {
        "debate_id": debate_id,
        "org_id": org_id,
        "round": 1,
        "agent": "bull",
        "score": 80,
        "content": psycopg.types.json.Jsonb({"arguments": ["strategy fit"]}),
    }
    return insert(conn, "agent_debate_messages", {**defaults, **values})


def make_escalation(conn: psycopg.Connection, *, debate_id: uuid.UUID, **values: Any) -> uuid.UUID:
    org_id = owner_org(conn, "agent_debates", debate_id)
    defaults = {
        "debate_id": debate_id,
        "org_id": org_id,
        "kind": "score_disagreement",
        "priority": "high",
    }
    return insert(conn, "agent_escalations", {**defaults, **values})


def make_batch_run(conn: psycopg.Connection, **values: Any) -> uuid.UUID:
    return insert(conn, "batch_runs", {"job": "nightly", "status": "succeeded", **values})


def make_batch_item(conn: psycopg.Connection, *, fund_id: uuid.UUID, **values: Any) -> int:
    run_id = values.pop("run_id", None) or make_batch_run(conn, status="succeeded")
    defaults = {"run_id": run_id, "phase": "score", "fund_id": fund_id}
    return insert(conn, "batch_items", {**defaults, **values})


def make_entity_change(conn: psycopg.Connection, **values: Any) -> int:
    defaults = {"entity_type": "lp", "entity_id": uuid.uuid4()}
    return insert(conn, "entity_changes", {**defaults, **values})


def make_collaborative_signal(conn: psycopg.Connection, **values: Any) -> str:
    defaults = {"lp_type": unique("type"), "fund_strategy": "venture", "contributors": 5,
                "samples": 12, "responses": 5, "response_rate": 0.4167}  # fmt: skip
    return insert(conn, "collaborative_signals", {**defaults, **values}, key="lp_type")


def make_retrain_report(conn: psycopg.Connection, **values: Any) -> uuid.UUID:
    defaults = {"decision": "kept", "samples": 80, "positives": 30, "message": "Kept."}
    return insert(conn, "retrain_reports", {**defaults, **values})


def make_metric_counter(conn: psycopg.Connection, **values: Any) -> str:
    defaults = {"minute": "2026-11-27 10:15:00+00", "name": unique("test.counter").replace("-", "_"),
                "value": 3}  # fmt: skip
    return insert(conn, "metric_counters", {**defaults, **values}, key="name")


def make_request_metric(conn: psycopg.Connection, **values: Any) -> str:
    defaults = {"minute": "2026-11-27 10:15:00+00", "route": unique("GET /route"), "requests": 4,
                "errors": 1, "latency_ms_total": 80.0, "buckets": [0, 0, 0, 4] + [0] * 12}  # fmt: skip
    return insert(conn, "request_metrics", {**defaults, **values}, key="route")


def make_llm_call(conn: psycopg.Connection, **values: Any) -> uuid.UUID:
    defaults = {"agent": "bull", "model": "test/model", "status": "ok", "input_tokens": 900}
    return insert(conn, "llm_calls", {**defaults, **values})


def make_alert(conn: psycopg.Connection, **values: Any) -> uuid.UUID:
    defaults = {"kind": "batch_failed", "severity": "critical", "message": "nightly failed"}
    return insert(conn, "alerts", {**defaults, **values})


def make_invitation(conn: psycopg.Connection, *, org_id: uuid.UUID, **values: Any) -> uuid.UUID:
    defaults = {
        "org_id": org_id,
        "email": f"{unique('invitee')}@example.org",
        "access_role": "member",
        "token_hash": unique("token-hash"),
    }
    return insert(conn, "invitations", {**defaults, **values})


def make_audit(conn: psycopg.Connection, **values: Any) -> int:
    return insert(conn, "audit_log", {"action": "test.action", **values})


def make_sign_in_guard(conn: psycopg.Connection, **values: Any) -> str:
    defaults = {"email_key": f"{unique('guard')}@example.org", "failures": 2}
    return insert(conn, "sign_in_guards", {**defaults, **values}, key="email_key")


def make_session_revocation(conn: psycopg.Connection, *, user_id: uuid.UUID, **values: Any) -> int:
    defaults = {"user_id": user_id, "session_id": uuid.uuid4(), "reason": "sign_out"}
    return insert(conn, "session_revocations", {**defaults, **values})


def make_outbox_message(conn: psycopg.Connection, **values: Any) -> uuid.UUID:
    defaults = {
        "to_email": f"{unique('to')}@example.org",
        "kind": "invitation",
        "subject": "Join",
        "body": "Hello",
    }
    return insert(conn, "outbox", {**defaults, **values})


def make_lp_flag(conn: psycopg.Connection, *, lp_org_id: uuid.UUID, **values: Any) -> uuid.UUID:
    defaults = {"lp_org_id": lp_org_id, "reason": "New CIO since March"}
    return insert(conn, "lp_flags", {**defaults, **values})


def make_lp_import(conn: psycopg.Connection, **values: Any) -> uuid.UUID:
    defaults = {
        "filename": "lps.csv",
        "file_sha256": "0" * 64,
        "storage_path": "imports/lps.csv",
        "encoding": "utf-8",
        "delimiter": ",",
        "row_count": 10,
    }
    return insert(conn, "lp_imports", {**defaults, **values})
