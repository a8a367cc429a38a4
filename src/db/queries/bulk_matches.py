"""Matches written and compared in bulk: what the nightly scoring reads and writes per chunk.

The per-fund engine's queries (one fund, a few hundred rows) are in `matches.py`; these move
thousands of rows at a time (COPY) and answer for many funds in one query.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import sql

from src.db.queries.matches import DEBATE_STANDS, Conn

StoredMatch = tuple[float, bool, bool]  # score, still valid, debated
Stored = dict[uuid.UUID, StoredMatch]


async def commitments_by_strategy(conn: Conn) -> dict[uuid.UUID, dict[str, int]]:
    """Every LP's known commitments, counted per strategy."""
    cur = await conn.execute(
        "select lp_org_id, strategy, count(*) from public.investments"
        " where strategy is not null group by lp_org_id, strategy"
    )
    out: dict[uuid.UUID, dict[str, int]] = {}
    for lp, strategy, count in await cur.fetchall():
        out.setdefault(lp, {})[strategy] = int(count)
    return out


MATCH_COLUMNS = (
    "fund_id", "org_id", "lp_org_id", "score", "rule_score", "semantic_score",
    "collaborative_score", "score_breakdown", "explanation", "talking_points", "concerns",
    "recommendation", "confidence", "weights_version", "model_version", "computed_at",
)  # fmt: skip


# Staged as plain columns plus one JSON document (breakdown, talking points, concerns): one
# fast JSON encoding per row instead of a Python-level dump of two text arrays and a jsonb.
STAGE_COLUMNS = (
    "fund_id", "org_id", "lp_org_id", "score", "rule_score", "semantic_score",
    "collaborative_score", "explanation", "recommendation", "confidence", "weights_version",
    "model_version", "computed_at",
)  # fmt: skip


async def copy_matches(conn: Conn, rows: list[dict[str, Any]]) -> None:
    """Write many computed matches at once: COPY into a staging table, then one upsert.

    The rules are `MATCH_UPSERT`'s: one row per (fund, LP), and a valid debated match stands.
    """
    if not rows:
        return
    await conn.execute(
        "create temporary table if not exists match_stage on commit drop as"
        " select fund_id, org_id, lp_org_id, score, rule_score, semantic_score,"
        " collaborative_score, explanation, recommendation, confidence, weights_version,"
        " model_version, computed_at, null::text as document"
        " from public.fund_lp_matches limit 0"
    )
    async with conn.cursor().copy(
        sql.SQL("copy match_stage ({}, document) from stdin").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in STAGE_COLUMNS)
        )
    ) as copy:
        for r in rows:
            document = json.dumps(
                [r["score_breakdown"], r["talking_points"], r["concerns"]], default=str
            )
            await copy.write_row([*(r[c] for c in STAGE_COLUMNS), document])
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in MATCH_COLUMNS)
    await conn.execute(
        sql.SQL(
            "insert into public.fund_lp_matches ({cols}, prompt_version, valid_until)"
            " select fund_id, org_id, lp_org_id, score, rule_score, semantic_score,"
            " collaborative_score, document::jsonb -> 0, explanation,"
            " array(select jsonb_array_elements_text(document::jsonb -> 1)),"
            " array(select jsonb_array_elements_text(document::jsonb -> 2)),"
            " recommendation, confidence, weights_version, model_version, computed_at, null,"
            " computed_at + interval '90 days' from match_stage"
            " on conflict (fund_id, lp_org_id) do update set {updates}, debate_score = null"
            " where " + DEBATE_STANDS
        ).format(
            cols=columns,
            updates=sql.SQL(", ").join(
                sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c))
                for c in (*MATCH_COLUMNS[3:], "prompt_version", "valid_until")
            ),
        )
    )
    await conn.execute("truncate match_stage")


async def stored_matches(conn: Conn, *, fund_id: uuid.UUID) -> Stored:
    """The fund's stored matches: LP → (score, still valid, debated)."""
    return (await stored_matches_of(conn, fund_ids=[fund_id]))[fund_id]


async def stored_matches_of(
    conn: Conn, *, fund_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Stored]:
    """For each fund, its stored matches: LP → (score, still valid, debated)."""
    cur = await conn.execute(
        "select fund_id, lp_org_id, score::float8, valid_until > now(),"
        " debate_score is not null from public.fund_lp_matches where fund_id = any(%(f)s)",
        {"f": list(fund_ids)},
    )
    out: dict[uuid.UUID, Stored] = {f: {} for f in fund_ids}
    for fund, lp, score, valid, debated in await cur.fetchall():
        out[fund][lp] = (float(score), bool(valid), bool(debated))
    return out


async def remove_matches(conn: Conn, *, fund_id: uuid.UUID, lps: Sequence[uuid.UUID]) -> int:
    """Drop these LPs' matches of the fund."""
    if not lps:
        return 0
    cur = await conn.execute(
        "delete from public.fund_lp_matches where fund_id = %(f)s and lp_org_id = any(%(lps)s)",
        {"f": fund_id, "lps": list(lps)},
    )
    return cur.rowcount
