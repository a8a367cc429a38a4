"""Where LPs stand in an organisation's pipelines: status rows, the activity feed, outreach."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class Status(BaseModel):
    """Where one LP stands in one fund's pipeline."""

    fund_id: uuid.UUID
    lp_org_id: uuid.UUID
    interest: str | None
    dismiss_reason: str | None
    stage: str
    next_step: str | None
    notes: str | None
    last_activity_at: datetime


STATUS_COLUMNS = (
    "fund_id, lp_org_id, interest, dismiss_reason, stage, next_step, notes, last_activity_at"
)


async def get_status(conn: Conn, fund_id: uuid.UUID, lp_org_id: uuid.UUID) -> Status | None:
    """The (fund, LP) status row, if any."""
    cur = conn.cursor(row_factory=class_row(Status))
    await cur.execute(
        f"select {STATUS_COLUMNS} from public.fund_lp_status"
        " where fund_id = %(f)s and lp_org_id = %(lp)s",
        {"f": fund_id, "lp": lp_org_id},
    )
    return await cur.fetchone()


class Activity(BaseModel):
    """One event in the activity feed."""

    created_at: datetime
    kind: str
    fund_id: uuid.UUID
    fund_name: str
    lp_org_id: uuid.UUID
    lp_name: str
    actor: str | None
    from_stage: str | None
    to_stage: str | None
    details: dict[str, Any]


async def recent_activity(conn: Conn, org_id: uuid.UUID, *, limit: int = 20) -> list[Activity]:
    """The organisation's latest pipeline events."""
    cur = conn.cursor(row_factory=class_row(Activity))
    await cur.execute(
        """select e.created_at, e.kind, e.fund_id, f.name as fund_name, e.lp_org_id,
             o.name as lp_name, p.full_name as actor, e.from_stage, e.to_stage, e.details
           from public.pipeline_events e
           join public.funds f on f.id = e.fund_id
           join public.organizations o on o.id = e.lp_org_id
           left join public.people p on p.id = e.actor_person_id
           where e.org_id = %(org)s order by e.id desc limit %(limit)s""",
        {"org": org_id, "limit": limit},
    )
    return await cur.fetchall()


class OutreachRow(BaseModel):
    """One LP in one fund's pipeline, for the outreach view and the shortlist."""

    fund_id: uuid.UUID
    fund_name: str
    lp_org_id: uuid.UUID
    lp_name: str
    lp_type: str
    interest: str | None
    stage: str
    next_step: str | None
    notes: str | None
    last_activity_at: datetime
    score: Decimal | None
    match_id: uuid.UUID | None
    outcome: str | None


async def outreach(
    conn: Conn,
    org_id: uuid.UUID,
    *,
    fund_id: uuid.UUID | None = None,
    shortlisted_only: bool = False,
) -> list[OutreachRow]:
    """Every LP the organisation acted on (or one fund's), latest activity first."""
    cur = conn.cursor(row_factory=class_row(OutreachRow))
    await cur.execute(
        """select s.fund_id, f.name as fund_name, s.lp_org_id, o.name as lp_name, p.lp_type,
             s.interest, s.stage, s.next_step, s.notes, s.last_activity_at, m.score,
             m.id as match_id, oc.outcome
           from public.fund_lp_status s
           join public.funds f on f.id = s.fund_id
           join public.organizations o on o.id = s.lp_org_id
           join public.lp_profiles p on p.org_id = s.lp_org_id
           left join public.fund_lp_matches m on m.fund_id = s.fund_id
             and m.lp_org_id = s.lp_org_id and not m.is_hidden
           left join public.match_outcomes oc on oc.fund_id = s.fund_id
             and oc.lp_org_id = s.lp_org_id
           where s.org_id = %(org)s
             and (%(fund)s::uuid is null or s.fund_id = %(fund)s)
             and (not %(short)s or s.interest in ('interested', 'pursuing'))
           order by s.last_activity_at desc, o.name""",
        {"org": org_id, "fund": fund_id, "short": shortlisted_only},
    )
    return await cur.fetchall()
