"""What batch runs work on: active funds, what changed, and the matches still to analyse."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from psycopg import AsyncConnection
from psycopg.rows import TupleRow

Conn = AsyncConnection[TupleRow]

# The order funds are worked in: raising first, then those past first close, then the rest.
STATUS_PRIORITY: Final = {"raising": 0, "first_close": 1, "pre_marketing": 2, "final_close": 3}
ACTIVE_STATUSES: Final = tuple(STATUS_PRIORITY)


async def active_funds(
    conn: Conn, *, only: Sequence[uuid.UUID] | None = None
) -> list[tuple[uuid.UUID, str, bool]]:
    """Funds being raised (id, status, analysis requested), in priority order."""
    cur = await conn.execute(
        """select id, status, analysis_requested_at is not null from public.funds
           where status = any(%(statuses)s) and (%(only)s::uuid[] is null or id = any(%(only)s))
           order by array_position(%(statuses)s, status), created_at, id""",
        {"statuses": list(ACTIVE_STATUSES), "only": list(only) if only is not None else None},
    )
    return [(r[0], r[1], bool(r[2])) for r in await cur.fetchall()]


async def changed_since(conn: Conn, since: datetime) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """(funds, LPs) changed in a way that changes matches since `since`."""
    cur = await conn.execute(
        "select distinct entity_type, entity_id from public.entity_changes"
        " where changed_at > %(since)s",
        {"since": since},
    )
    funds: set[uuid.UUID] = set()
    lps: set[uuid.UUID] = set()
    for kind, entity in await cur.fetchall():
        (funds if kind == "fund" else lps).add(entity)
    return funds, lps


async def trim_changes(conn: Conn, *, days: int) -> int:
    """Forget changes older than `days` (every run since has seen them)."""
    cur = await conn.execute(
        "delete from public.entity_changes where changed_at < now() - make_interval(days => %s)",
        (days,),
    )
    return cur.rowcount


async def refresh_data_quality(conn: Conn) -> int:
    """Recompute the data quality scores that time alone has lowered (the trigger does it)."""
    cur = await conn.execute(
        "update public.lp_profiles p set updated_at = now() where p.last_verified_at is not null"
        " and p.data_quality_score is distinct from public.lp_data_quality_score(p)"
    )
    return cur.rowcount


async def lp_count(conn: Conn) -> int:
    """How many LPs the market holds."""
    cur = await conn.execute("select count(*) from public.lp_profiles")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


# What each phase still needs of a ranked match (`ranked` is the candidate row).
_NEEDS: Final = {
    # no analysis since it was scored, and none running
    "debate": """not exists (select 1 from public.fund_lp_matches m where m.id = ranked.id
                   and m.debate_score is not null)
             and not exists (
               select 1 from public.agent_debates d where d.fund_id = ranked.fund_id
                 and d.lp_org_id = ranked.lp_org_id and d.status = 'running'
                 and d.started_at > now() - interval '15 minutes')""",
    # no pitch yet
    "pitch": "not exists (select 1 from public.pitches p where p.match_id = ranked.id)",
}


async def _top_needing(
    conn: Conn, phase: str, fund_ids: Sequence[uuid.UUID], per_fund: int
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """Each fund's best `per_fund` matches that still need `phase` (fund, LP, rank in fund).

    Matches the GP dismissed, hidden ones and ones labelled avoid are left out.
    """
    cur = await conn.execute(
        f"""select fund_id, lp_org_id, rank from (
             select m.id, m.fund_id, m.lp_org_id,
               row_number() over (partition by m.fund_id order by m.score desc, m.lp_org_id)
                 as rank
             from public.fund_lp_matches m
             left join public.fund_lp_status s on s.fund_id = m.fund_id
               and s.lp_org_id = m.lp_org_id
             where m.fund_id = any(%(funds)s) and not m.is_hidden
               and m.recommendation is distinct from 'avoid'
               and s.interest is distinct from 'not_interested') ranked
           where rank <= %(n)s and {_NEEDS[phase]}
           order by fund_id, rank""",  # noqa: S608 - one of two constants
        {"funds": list(fund_ids), "n": per_fund},
    )
    return [(r[0], r[1], int(r[2])) for r in await cur.fetchall()]


async def to_debate(
    conn: Conn, fund_ids: Sequence[uuid.UUID], per_fund: int
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """Each fund's best matches with no analysis since they were scored."""
    return await _top_needing(conn, "debate", fund_ids, per_fund)


async def to_pitch(
    conn: Conn, fund_ids: Sequence[uuid.UUID], per_fund: int
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """Each fund's best matches that have no pitch yet."""
    return await _top_needing(conn, "pitch", fund_ids, per_fund)


async def clear_analysis_requests(
    conn: Conn, fund_ids: Sequence[uuid.UUID], before: datetime
) -> int:
    """The funds' requested full analyses are done (requests made since stay open)."""
    cur = await conn.execute(
        "update public.funds set analysis_requested_at = null where id = any(%(ids)s)"
        " and analysis_requested_at <= %(before)s",
        {"ids": list(fund_ids), "before": before},
    )
    return cur.rowcount


async def run_funds(conn: Conn, run_id: uuid.UUID) -> list[uuid.UUID]:
    """The funds the run scored (in priority order)."""
    cur = await conn.execute(
        "select fund_id from public.batch_items where run_id = %(id)s and phase = 'score'"
        " and status = 'done' group by fund_id order by min(priority), fund_id",
        {"id": run_id},
    )
    return [r[0] for r in await cur.fetchall()]
