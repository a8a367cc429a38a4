"""Funds as their organisation sees them (RLS)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class FundCard(BaseModel):
    """A fund with its pipeline counts, for the dashboard."""

    id: uuid.UUID
    name: str
    status: str
    strategy: str
    target_size_musd: Decimal | None
    matches: int
    shortlisted: int
    pursuing: int
    meetings: int
    last_activity_at: datetime | None


async def list_fund_cards(conn: Conn, *, org_id: uuid.UUID) -> list[FundCard]:
    """The organisation's funds, live ones first, with match and pipeline counts."""
    cur = conn.cursor(row_factory=class_row(FundCard))
    await cur.execute(
        """
        select f.id, f.name, f.status, f.strategy, f.target_size_musd,
          (select count(*) from public.fund_lp_matches m where m.fund_id = f.id and not
            m.is_hidden) as matches,
          count(s.id) filter (where s.interest in ('interested', 'pursuing')) as shortlisted,
          count(s.id) filter (where s.interest = 'pursuing') as pursuing,
          count(s.id) filter (where s.stage in ('mutual_interest', 'in_diligence', 'invested'))
            as meetings,
          max(s.last_activity_at) as last_activity_at
        from public.funds f
        left join public.fund_lp_status s on s.fund_id = f.id
        where f.org_id = %(org_id)s
        group by f.id
        order by array_position(array['raising', 'first_close', 'pre_marketing', 'draft',
                                      'final_close', 'closed'], f.status), f.created_at desc
        """,
        {"org_id": org_id},
    )
    return await cur.fetchall()
