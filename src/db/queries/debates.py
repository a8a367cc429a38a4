"""Debates, their turns and escalations, and a debate's outcome on its match (service path)."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from src.agents.debate import DebateResult, Escalation, Turn

Conn = AsyncConnection[TupleRow]


async def insert_debate(
    conn: Conn, *, fund_id: uuid.UUID, org_id: uuid.UUID, lp_org_id: uuid.UUID
) -> uuid.UUID:
    """A running debate of one (fund, LP)."""
    cur = await conn.execute(
        "insert into public.agent_debates (fund_id, org_id, lp_org_id)"
        " values (%(f)s, %(o)s, %(lp)s) returning id",
        {"f": fund_id, "o": org_id, "lp": lp_org_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


async def data_quality(conn: Conn, lp_org_id: uuid.UUID) -> float | None:
    """The LP profile's data quality score (0–1)."""
    cur = await conn.execute(
        "select data_quality_score::float8 from public.lp_profiles where org_id = %(lp)s",
        {"lp": lp_org_id},
    )
    row = await cur.fetchone()
    return row[0] if row else None


async def running_elsewhere(
    conn: Conn, *, fund_id: uuid.UUID, lp_org_id: uuid.UUID, except_id: uuid.UUID | None
) -> bool:
    """Whether another debate of this (fund, LP) started in the last 15 minutes is running."""
    cur = await conn.execute(
        "select exists (select 1 from public.agent_debates where fund_id = %(f)s"
        " and lp_org_id = %(lp)s and status = 'running' and id is distinct from %(d)s"
        " and started_at > now() - interval '15 minutes')",
        {"f": fund_id, "lp": lp_org_id, "d": except_id},
    )
    row = await cur.fetchone()
    return bool(row and row[0])


async def debate_status(conn: Conn, debate_id: uuid.UUID) -> str | None:
    """A debate's status (None when it no longer exists)."""
    cur = await conn.execute(
        "select status from public.agent_debates where id = %(d)s", {"d": debate_id}
    )
    row = await cur.fetchone()
    return str(row[0]) if row else None


async def insert_turns(
    conn: Conn, *, debate_id: uuid.UUID, org_id: uuid.UUID, turns: list[Turn]
) -> None:
    """Every agent's output, with the model, tokens and cost of the call behind it."""
    async with conn.cursor() as cur:
        await cur.executemany(
            "insert into public.agent_debate_messages (debate_id, org_id, round, agent, score,"
            " content) values (%(d)s, %(o)s, %(r)s, %(a)s, %(s)s, %(c)s)",
            [
                {
                    "d": debate_id,
                    "o": org_id,
                    "r": t.round,
                    "a": t.agent,
                    "s": t.score,
                    "c": Jsonb(
                        {
                            **t.output,
                            "model": t.model,
                            "input_tokens": t.input_tokens,
                            "output_tokens": t.output_tokens,
                            "cost_usd": t.cost_usd,
                        }
                    ),
                }
                for t in turns
            ],  # fmt: skip
        )


async def finish_debate(conn: Conn, debate_id: uuid.UUID, result: DebateResult) -> None:
    """Completed, or escalated, with the last round's scores and the versions used."""
    await conn.execute(
        """update public.agent_debates set status = %(s)s, rounds = %(r)s, bull_score = %(b)s,
             bear_score = %(e)s, final_score = %(f)s, confidence = %(c)s, model_version = %(m)s,
             prompt_version = %(p)s, completed_at = now() where id = %(d)s""",
        {
            "s": "escalated" if result.escalation is not None else "completed",
            "r": result.rounds,
            "b": result.bull.score,
            "e": result.bear.score,
            "f": result.synthesis.score,
            "c": result.synthesis.confidence,
            "m": result.model,
            "p": result.prompt_version,
            "d": debate_id,
        },
    )


async def insert_escalation(
    conn: Conn, debate_id: uuid.UUID, org_id: uuid.UUID, escalation: Escalation
) -> None:
    """A pending review."""
    await conn.execute(
        "insert into public.agent_escalations (debate_id, org_id, kind, priority)"
        " values (%(d)s, %(o)s, %(k)s, %(p)s)",
        {"d": debate_id, "o": org_id, "k": escalation.kind, "p": escalation.priority},
    )


async def apply_to_match(
    conn: Conn,
    match_id: uuid.UUID,
    result: DebateResult,
    *,
    score: float,
    label: str,
    breakdown: dict[str, Any],
) -> None:
    """The debate's decision becomes the match's score, label and reasons.

    A deal breaker also hides the match until a reviewer decides.
    """
    synthesis = result.synthesis
    await conn.execute(
        """update public.fund_lp_matches set debate_score = %(d)s, score = %(s)s,
             recommendation = %(l)s, confidence = %(c)s, explanation = %(x)s,
             talking_points = %(t)s, concerns = %(n)s, model_version = %(m)s,
             prompt_version = %(p)s, is_hidden = %(h)s,
             score_breakdown = score_breakdown || %(b)s
           where id = %(id)s""",
        {
            "d": synthesis.score,
            "s": score,
            "l": label,
            "c": synthesis.confidence,
            "x": synthesis.explanation,
            "t": synthesis.talking_points[:5],
            "n": synthesis.concerns[:5],
            "m": result.model,
            "p": result.prompt_version,
            "h": result.escalation is not None and result.escalation.kind == "deal_breaker",
            "b": Jsonb(breakdown),
            "id": match_id,
        },
    )
