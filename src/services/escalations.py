"""The human review queue: platform admins take escalated debates and decide.

pending → assigned → in_review → resolved / dismissed. Resolving sets the reviewer's score and
reasoning as the match's final word (labelled "human-reviewed") and shows a hidden match to the
GP again; dismissing keeps the debate's outcome and shows the match too. Both are audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from src.db.queries.users import insert_audit
from src.errors import Conflict, InvalidInput, NotFound
from src.services.debates import DebateMessage, transcript
from src.services.matching.explain import label_for
from src.services.users import User

Conn = AsyncConnection[TupleRow]
STATUSES: Final = ("pending", "assigned", "in_review", "resolved", "dismissed")
OPEN: Final = ("pending", "assigned", "in_review")
PRIORITIES: Final = ("high", "medium", "low")
KIND_LABELS: Final = {
    "score_disagreement": "Bull and bear disagree",
    "confidence_collapse": "Low confidence",
    "deal_breaker": "Possible deal breaker",
    "data_quality": "Data quality",
}


class EscalationRow(BaseModel):
    """One escalation in the queue."""

    id: uuid.UUID
    debate_id: uuid.UUID
    kind: str
    priority: str
    status: str
    created_at: datetime
    resolved_at: datetime | None
    reviewer: str | None
    assigned_to: uuid.UUID | None
    fund_name: str
    lp_name: str
    org_name: str
    bull_score: Decimal | None
    bear_score: Decimal | None
    final_score: Decimal | None
    confidence: Decimal | None
    rounds: int
    match_id: uuid.UUID | None
    reviewer_score: Decimal | None
    reviewer_reasoning: str | None


class EscalationDetail(EscalationRow):
    """An escalation with the debate's transcript."""

    messages: list[DebateMessage] = []


class Resolution(BaseModel):
    """A reviewer's decision."""

    score: float = Field(ge=0, le=100)
    reasoning: str = Field(min_length=10, max_length=5000)


SELECT = """
select e.id, e.debate_id, e.kind, e.priority, e.status, e.created_at, e.resolved_at,
  r.full_name as reviewer, e.assigned_to, f.name as fund_name, lp.name as lp_name,
  o.name as org_name, d.bull_score, d.bear_score, d.final_score, d.confidence, d.rounds,
  m.id as match_id, e.reviewer_score, e.reviewer_reasoning
from public.agent_escalations e
join public.agent_debates d on d.id = e.debate_id
join public.funds f on f.id = d.fund_id
join public.organizations lp on lp.id = d.lp_org_id
join public.organizations o on o.id = d.org_id
left join public.people r on r.id = e.assigned_to
left join public.fund_lp_matches m on m.fund_id = d.fund_id and m.lp_org_id = d.lp_org_id
"""


async def queue(
    conn: Conn, *, status: str | None = None, priority: str | None = None, limit: int = 100
) -> list[EscalationRow]:
    """Open escalations by default, highest priority and oldest first."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"Unknown status {status!r}; accepted: {', '.join(STATUSES)}.")
    if priority is not None and priority not in PRIORITIES:
        raise InvalidInput(f"Unknown priority {priority!r}; accepted: {', '.join(PRIORITIES)}.")
    cur = conn.cursor(row_factory=class_row(EscalationRow))
    await cur.execute(
        SELECT
        + """ where (%(status)s::text is null and e.status = any(%(open)s)
                    or e.status = %(status)s)
              and (%(priority)s::text is null or e.priority = %(priority)s)
            order by array_position(array['high', 'medium', 'low'], e.priority), e.created_at
            limit %(limit)s""",
        {"status": status, "open": list(OPEN), "priority": priority, "limit": limit},
    )
    return await cur.fetchall()


async def get(conn: Conn, escalation_id: uuid.UUID) -> EscalationDetail:
    """One escalation and the debate round by round."""
    cur = conn.cursor(row_factory=class_row(EscalationDetail))
    await cur.execute(SELECT + " where e.id = %(id)s", {"id": escalation_id})
    found = await cur.fetchone()
    if found is None:
        raise NotFound("escalation", escalation_id)
    found.messages = await transcript(conn, found.debate_id)
    return found


class Reviewer(BaseModel):
    """A platform admin who can take reviews."""

    person_id: uuid.UUID
    full_name: str


async def reviewers(conn: Conn) -> list[Reviewer]:
    """Everyone who may review (platform admins)."""
    cur = conn.cursor(row_factory=class_row(Reviewer))
    await cur.execute(
        "select id as person_id, full_name from public.people where is_super_admin"
        " order by full_name"
    )
    return await cur.fetchall()


async def _move(
    conn: Conn,
    user: User,
    escalation_id: uuid.UUID,
    to: Literal["assigned", "in_review"],
    reviewer: uuid.UUID | None = None,
) -> EscalationDetail:
    current = await get(conn, escalation_id)
    if current.status not in OPEN:
        raise Conflict(f"This escalation is already {current.status}.")
    person = reviewer or user.person_id
    if person not in {r.person_id for r in await reviewers(conn)}:
        raise InvalidInput(
            "Only a platform admin can review.",
            details=[{"field": "reviewer", "message": "Choose a platform admin."}],
        )
    await conn.execute(
        "update public.agent_escalations set status = %(s)s, assigned_to = %(p)s where id = %(id)s",
        {"s": to, "p": person, "id": escalation_id},
    )
    await insert_audit(
        conn, action=f"escalation.{to}", entity_type="escalation", entity_id=escalation_id,
        details={"from": current.status},
    )  # fmt: skip
    return await get(conn, escalation_id)


async def assign(
    conn: Conn, user: User, escalation_id: uuid.UUID, reviewer: uuid.UUID | None = None
) -> EscalationDetail:
    """Assign an escalation to a reviewer (the caller by default)."""
    return await _move(conn, user, escalation_id, "assigned", reviewer)


async def start_review(conn: Conn, user: User, escalation_id: uuid.UUID) -> EscalationDetail:
    """Open the review (→ in_review, assigned to the reviewer)."""
    return await _move(conn, user, escalation_id, "in_review")


async def resolve(
    conn: Conn, user: User, escalation_id: uuid.UUID, decision: Resolution
) -> EscalationDetail:
    """The reviewer's score and reasoning become the match's final word."""
    current = await get(conn, escalation_id)
    if current.status not in OPEN:
        raise Conflict(f"This escalation is already {current.status}.")
    reasoning = decision.reasoning.strip()
    await conn.execute(
        """update public.agent_escalations set status = 'resolved', reviewer_score = %(s)s,
             reviewer_reasoning = %(r)s, assigned_to = %(p)s, resolved_at = now()
           where id = %(id)s""",
        {"s": decision.score, "r": reasoning, "p": user.person_id, "id": escalation_id},
    )
    if current.match_id is not None:
        await conn.execute(
            """update public.fund_lp_matches set score = %(s)s, recommendation = %(l)s,
                 is_hidden = false,
                 explanation = %(x)s || coalesce(E'\\n\\n' || explanation, ''),
                 score_breakdown = score_breakdown || %(b)s
               where id = %(m)s""",
            {
                "s": decision.score,
                "l": label_for(decision.score),
                "x": f"Human review: {reasoning}",
                "m": current.match_id,
                "b": Jsonb({"analysis": "human-reviewed", "reviewer_score": decision.score}),
            },  # fmt: skip
        )
    await insert_audit(
        conn, action="escalation.resolved", entity_type="escalation", entity_id=escalation_id,
        details={"score": decision.score},
    )  # fmt: skip
    return await get(conn, escalation_id)


async def dismiss(conn: Conn, user: User, escalation_id: uuid.UUID) -> EscalationDetail:
    """No review needed: the debate's outcome stands and the match is shown again."""
    current = await get(conn, escalation_id)
    if current.status not in OPEN:
        raise Conflict(f"This escalation is already {current.status}.")
    await conn.execute(
        "update public.agent_escalations set status = 'dismissed', assigned_to = %(p)s,"
        " resolved_at = now() where id = %(id)s",
        {"p": user.person_id, "id": escalation_id},
    )
    if current.match_id is not None:
        await conn.execute(
            "update public.fund_lp_matches set is_hidden = false where id = %(m)s",
            {"m": current.match_id},
        )
    await insert_audit(
        conn, action="escalation.dismissed", entity_type="escalation", entity_id=escalation_id,
        details={},
    )  # fmt: skip
    return await get(conn, escalation_id)
