"""What the monthly retrain reads (labelled matches) and writes (signals, reports)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

Conn = AsyncConnection[TupleRow]
MAX_SAMPLES: Final = 20_000
# An LP "responded" when it met the GP: it committed, or declined after a meeting.
RESPONDED: Final = ("committed", "declined_after_meeting")


async def labelled_matches(
    conn: Conn,
    *,
    since: datetime | None,
    fund: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[tuple[uuid.UUID, list[float | None], bool]]:
    """Matches with an outcome or a net rating, newest first (at most MAX_SAMPLES).

    Each as (organisation, [rule, semantic, debate, collaborative], committed or liked).
    """
    cur = await conn.execute(
        """select m.org_id, m.rule_score::float8, m.semantic_score::float8,
             m.debate_score::float8, m.collaborative_score::float8,
             case when o.outcome is not null then o.outcome = 'committed'
                  else b.rating > 0 end as label
           from public.fund_lp_matches m
           left join public.match_outcomes o on o.fund_id = m.fund_id
             and o.lp_org_id = m.lp_org_id
           left join (select match_id, sum(rating) as rating, max(created_at) as at
                      from public.match_feedback group by match_id) b on b.match_id = m.id
           where m.rule_score is not null
             and (o.outcome is not null or coalesce(b.rating, 0) <> 0)
             and (%(since)s::timestamptz is null
                  or coalesce(o.recorded_at, b.at) > %(since)s::timestamptz)
             and (%(fund)s::uuid is null or m.fund_id = %(fund)s::uuid)
           order by coalesce(o.recorded_at, b.at) desc, m.id
           limit %(n)s""",
        {"since": since, "fund": fund, "n": min(limit or MAX_SAMPLES, MAX_SAMPLES)},
    )
    return [(r[0], [r[1], r[2], r[3], r[4]], bool(r[5])) for r in await cur.fetchall()]


async def replace_signals(conn: Conn, *, min_orgs: int) -> list[dict[str, Any]]:
    """Recompute each segment's response rate from outcomes of ≥ `min_orgs` organisations."""
    await conn.execute("delete from public.collaborative_signals")
    cur = await conn.execute(
        """insert into public.collaborative_signals (lp_type, fund_strategy, contributors,
             samples, responses, response_rate)
           select p.lp_type, split_part(f.strategy, '/', 1), count(distinct o.org_id),
             count(*), count(*) filter (where o.outcome = any(%(responded)s)),
             round((count(*) filter (where o.outcome = any(%(responded)s)))::numeric
                   / count(*), 4)
           from public.match_outcomes o
           join public.funds f on f.id = o.fund_id
           join public.lp_profiles p on p.org_id = o.lp_org_id
           where f.strategy is not null
           group by p.lp_type, split_part(f.strategy, '/', 1)
           having count(distinct o.org_id) >= %(min)s
           returning lp_type, fund_strategy, contributors, samples, responses,
             response_rate::float8""",
        {"responded": list(RESPONDED), "min": min_orgs},
    )
    return [
        {"lp_type": r[0], "fund_strategy": r[1], "contributors": r[2], "samples": r[3],
         "responses": r[4], "response_rate": r[5]}
        for r in await cur.fetchall()
    ]  # fmt: skip


async def insert_report(
    conn: Conn,
    *,
    run_id: uuid.UUID | None,
    decision: str,
    samples: int,
    positives: int,
    organisations: int,
    current_version: int | None,
    new_version: int | None,
    metrics: dict[str, Any],
    message: str,
) -> uuid.UUID:
    """One retrain (or rollback) report."""
    cur = await conn.execute(
        """insert into public.retrain_reports (run_id, decision, samples, positives,
             organisations, current_version, new_version, metrics, message)
           values (%(run)s, %(d)s, %(s)s, %(p)s, %(o)s, %(cur)s, %(new)s, %(m)s, %(msg)s)
           returning id""",
        {"run": run_id, "d": decision, "s": samples, "p": positives, "o": organisations,
         "cur": current_version, "new": new_version, "m": Jsonb(metrics), "msg": message},
    )  # fmt: skip
    row = await cur.fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


async def last_adoption(conn: Conn) -> tuple[int, int] | None:
    """(previous version, adopted version) of the latest adoption not rolled back since."""
    cur = await conn.execute(
        """select current_version, new_version from public.retrain_reports
           where decision = 'adopted' and current_version is not null
             and not exists (select 1 from public.retrain_reports r
                             where r.decision = 'rolled_back'
                               and r.created_at > retrain_reports.created_at)
           order by created_at desc limit 1"""
    )
    row = await cur.fetchone()
    return (int(row[0]), int(row[1])) if row else None
