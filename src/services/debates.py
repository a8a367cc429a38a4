"""Full analysis of a match: start a debate, run it off the request, store every round, escalate.

Starting records a `running` debate and returns at once; the debate runs after the response
(LLM calls take seconds to minutes and must never hold a database transaction open), then one
transaction stores every turn (with tokens and cost), finishes the debate, files an escalation
when one is due, and writes the outcome to the match: the debate score blended with the other
components, the label, confidence, explanation, talking points and concerns, with the model and
prompt versions. A deal breaker hides the match from the GP until a reviewer decides.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

from src.agents import debate as agents
from src.agents.debate import DebateFacts, DebateResult, Factor
from src.agents.llm import CallContext, LlmClient
from src.agents.tracing import Tracing
from src.db.queries import debates as queries
from src.db.queries import matches as match_queries
from src.db.queries.users import insert_audit
from src.errors import Conflict, NotFound
from src.services import matches
from src.services.matching.explain import blend, label_for
from src.services.users import User

logger = logging.getLogger(__name__)
Conn = AsyncConnection[TupleRow]
Transaction = Callable[[], AbstractAsyncContextManager[Conn]]
ANALYSIS_LABELS = {"llm": "AI analysis", "offline": "offline analysis"}


class DebateMessage(BaseModel):
    """One agent's output in one round."""

    round: int
    agent: str
    score: Decimal | None
    content: dict[str, Any]


class DebateView(BaseModel):
    """A debate with its transcript and escalation, as the match page and the API show it."""

    id: uuid.UUID
    match_id: uuid.UUID | None
    status: str
    rounds: int
    bull_score: Decimal | None
    bear_score: Decimal | None
    final_score: Decimal | None
    confidence: Decimal | None
    model_version: str | None
    prompt_version: str | None
    started_at: datetime
    completed_at: datetime | None
    escalation_kind: str | None = None
    escalation_status: str | None = None
    messages: list[DebateMessage] = []


async def start(conn: Conn, user: User, match_id: uuid.UUID, service: Transaction) -> uuid.UUID:
    """Record a running debate for the match (one at a time per match).

    The user's transaction proves access; the debate is written on the service path (debates
    are the agents' records: the GP reads them, only the system writes them).
    """
    match = await matches.get(conn, user, match_id)
    cur = await conn.execute(
        "select id from public.agent_debates where fund_id = %(f)s and lp_org_id = %(lp)s"
        " and status = 'running' and started_at > now() - interval '15 minutes'",
        {"f": match.fund_id, "lp": match.lp_org_id},
    )
    if await cur.fetchone() is not None:
        raise Conflict("A full analysis of this match is already running.")
    async with service() as system:
        debate_id = await queries.insert_debate(
            system, fund_id=match.fund_id, org_id=match.org_id, lp_org_id=match.lp_org_id
        )
    await insert_audit(
        conn, action="debate.started", org_id=match.org_id, entity_type="match",
        entity_id=match_id, details={"debate_id": str(debate_id)},
    )  # fmt: skip
    return debate_id


def facts_for(match: match_queries.MatchRow, data_quality: float | None) -> DebateFacts:
    """What the analysts may see of a match: its factors and their facts, no personal data."""
    breakdown = match.score_breakdown
    return DebateFacts(
        fund_name=match.fund_name,
        fund_strategy=None,
        lp_name=match.lp_name,
        lp_type=match.lp_type,
        rule_score=float(match.rule_score or match.score),
        confidence=float(match.confidence or 0.5),
        factors=[
            Factor(label=f["label"], score=f["score"], no_data=f["no_data"], facts=f["facts"])
            for f in breakdown.get("factors", [])
        ],
        excluded_by=list(breakdown.get("excluded_by") or []),
        data_quality=data_quality,
    )


async def run(
    transaction: Transaction,
    service: Transaction,
    user: User,
    debate_id: uuid.UUID,
    match_id: uuid.UUID,
    llm: LlmClient | None,
) -> None:
    """Run a started debate and store its outcome (called after the response is sent)."""
    try:
        async with transaction() as conn:
            match = await matches.get(conn, user, match_id)
            quality = await queries.data_quality(conn, match.lp_org_id)
        result = await analyse(match, quality, debate_id, llm)
        async with service() as conn:
            await store(conn, debate_id, match, result)
    except Exception:
        logger.exception("debate_failed", extra={"debate_id": str(debate_id)})
        async with service() as conn:
            await conn.execute(
                "update public.agent_debates set status = 'failed', completed_at = now()"
                " where id = %(d)s and status = 'running'",
                {"d": debate_id},
            )


async def analyse(
    match: match_queries.MatchRow,
    quality: float | None,
    debate_id: uuid.UUID,
    llm: LlmClient | None,
    *,
    batch_run_id: uuid.UUID | None = None,
) -> DebateResult:
    """Debate a match (no database work: LLM calls can take minutes), traced."""
    facts = facts_for(match, quality)
    context = CallContext(
        agent="debate", prompt_name="debate", prompt_version=agents.prompt_version(),
        org_id=match.org_id, debate_id=debate_id, batch_run_id=batch_run_id,
    )  # fmt: skip
    tracing = llm.tracing if llm is not None else None
    metadata = {"fund_id": str(match.fund_id), "lp_org_id": str(match.lp_org_id),
                "org_id": str(match.org_id), "debate_id": str(debate_id)}  # fmt: skip
    with (tracing or Tracing(None)).trace("debate", metadata) as trace:
        result = await agents.debate(
            facts, llm=llm, context=context, label=label_for, tracing=tracing
        )
        if tracing is not None:
            gap = abs(result.bull.score - result.bear.score)
            debate_quality = round(result.synthesis.confidence * (1 - gap / 100), 3)
            tracing.score(trace, "debate_quality", debate_quality)
    return result


async def store(
    conn: Conn, debate_id: uuid.UUID, match: match_queries.MatchRow, result: DebateResult
) -> None:
    """Every turn, the debate's end, its escalation, and its outcome on the match.

    All in the caller's transaction.
    """
    synthesis = result.synthesis
    await queries.insert_turns(conn, debate_id=debate_id, org_id=match.org_id, turns=result.turns)
    await queries.finish_debate(conn, debate_id, result)
    if result.escalation is not None:
        await queries.insert_escalation(conn, debate_id, match.org_id, result.escalation)
    weights = await match_queries.active_weights(conn, "blend")
    components = {
        "rule": float(match.rule_score) if match.rule_score is not None else None,
        "semantic": float(match.semantic_score) if match.semantic_score is not None else None,
        "debate": synthesis.score,
        "collaborative": (
            float(match.collaborative_score) if match.collaborative_score is not None else None
        ),
    }
    await queries.apply_to_match(
        conn,
        match.id,
        result,
        score=blend(components, weights.weights if weights else {"debate": 100}),
        label="avoid" if result.bear.hard_exclusion else synthesis.recommendation,
        breakdown={
            "analysis": ANALYSIS_LABELS[result.analysis],
            "debate_id": str(debate_id),
            "fallback_reason": result.fallback_reason,
        },
    )


async def latest(conn: Conn, user: User, match_id: uuid.UUID) -> DebateView | None:
    """The match's most recent debate with its transcript."""
    match = await matches.get(conn, user, match_id)
    return await _view(conn, "d.fund_id = %(f)s and d.lp_org_id = %(lp)s",
                       {"f": match.fund_id, "lp": match.lp_org_id, "m": match_id})  # fmt: skip


async def get(conn: Conn, user: User, debate_id: uuid.UUID) -> DebateView:
    """One debate of the user's organisation (also when its match is hidden for review)."""
    view = await _view(conn, "d.id = %(d)s and d.org_id = %(o)s",
                       {"d": debate_id, "o": user.org_id, "m": None})  # fmt: skip
    if view is None:
        raise NotFound("debate", debate_id)
    return view


async def hidden_for_review(conn: Conn, user: User, match_id: uuid.UUID) -> uuid.UUID | None:
    """The fund of a match that a deal breaker hid (None when it is not hidden or not ours)."""
    cur = await conn.execute(
        "select fund_id from public.fund_lp_matches where id = %(m)s and org_id = %(o)s"
        " and is_hidden",
        {"m": match_id, "o": user.org_id},
    )
    row = await cur.fetchone()
    return row[0] if row else None


async def _view(conn: Conn, where: str, params: dict[str, Any]) -> DebateView | None:
    cur = conn.cursor(row_factory=class_row(DebateView))
    await cur.execute(
        f"""select d.id, coalesce(%(m)s::uuid, m.id) as match_id, d.status, d.rounds,
             d.bull_score, d.bear_score, d.final_score, d.confidence, d.model_version,
             d.prompt_version, d.started_at, d.completed_at,
             e.kind as escalation_kind, e.status as escalation_status
           from public.agent_debates d
           left join public.fund_lp_matches m on m.fund_id = d.fund_id
             and m.lp_org_id = d.lp_org_id
           left join public.agent_escalations e on e.debate_id = d.id
           where {where}
           order by d.started_at desc limit 1""",  # noqa: S608 - `where` is one of two constants
        params,
    )
    view = await cur.fetchone()
    if view is None:
        return None
    view.messages = await transcript(conn, view.id)
    return view


async def transcript(conn: Conn, debate_id: uuid.UUID) -> list[DebateMessage]:
    """Every turn of a debate, round by round: bull, bear, synthesizer."""
    messages = conn.cursor(row_factory=class_row(DebateMessage))
    await messages.execute(
        "select round, agent, score, content from public.agent_debate_messages"
        " where debate_id = %(d)s order by round, array_position(array['bull', 'bear',"
        " 'synthesizer'], agent)",
        {"d": debate_id},
    )
    return await messages.fetchall()
