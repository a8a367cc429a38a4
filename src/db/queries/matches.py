"""Matches, their pipeline status, feedback and outcomes, as the fund's organisation sees them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow, class_row, dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class Weights(BaseModel):
    """One active version of the rule or blend weights."""

    version: int
    kind: str
    weights: dict[str, float]


async def active_weights(conn: Conn, kind: str) -> Weights | None:
    """The active weights of a kind ('rule' or 'blend')."""
    cur = conn.cursor(row_factory=class_row(Weights))
    await cur.execute(
        "select version, kind, weights from public.scoring_weights"
        " where kind = %(kind)s and is_active",
        {"kind": kind},
    )
    return await cur.fetchone()


async def score_candidates(
    conn: Conn,
    *,
    filters: sql.Composable,
    factors: dict[str, sql.Composable],
    order: sql.Composable,
    params: dict[str, Any],
    join_vectors: bool,
    limit: int,
    only: Sequence[uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    """LPs passing the filters with their factor scores, best first by `order`."""
    join = (
        sql.SQL(
            " left join market.lp_mandate_vectors v on v.org_id = p.org_id and v.model = %(model)s"
        )
        if join_vectors
        else sql.SQL("")
    )
    restrict = sql.SQL(" and p.org_id = any(%(only)s)") if only is not None else sql.SQL("")
    # Every LP that passes is scored and counted; only the best `limit` are kept, and only
    # those are joined to their organisation.
    query = sql.SQL(
        """select s.*, o.hq_country from (
             select * from (
               select p.org_id, p.lp_name as name, p.lp_type, p.region,
                 p.aum_musd::float8 as aum_musd, p.strategies, p.geographies, p.sectors,
                 p.fund_size_min_musd::float8 as fund_size_min_musd,
                 p.fund_size_max_musd::float8 as fund_size_max_musd,
                 p.check_size_min_musd::float8 as check_size_min_musd,
                 p.check_size_max_musd::float8 as check_size_max_musd,
                 p.min_track_record_years, p.esg_required, p.emerging_manager_program,
                 p.actively_looking, p.data_quality_score::float8 as data_quality_score,
                 p.last_verified_at, {factor_cols}, count(*) over () as passing
               from market.lp_profiles p{join}
               where {filters}{restrict}) s
             order by {order}, s.org_id
             limit {limit}) s
           join public.organizations o on o.id = s.org_id
           order by {order}, s.org_id"""
    ).format(
        factor_cols=sql.SQL(", ").join(
            sql.SQL("{} as {}").format(expr, sql.Identifier(name)) for name, expr in factors.items()
        ),
        join=join,
        filters=filters,
        restrict=restrict,
        order=order,
        limit=sql.Literal(limit),
    )
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, {**params, "only": list(only) if only is not None else None})
    return await cur.fetchall()


async def exclusion_counts(
    conn: Conn, *, filters: dict[str, sql.Composable], params: dict[str, Any]
) -> dict[str, int]:
    """How many LPs each hard filter excludes on its own, and how many pass them all."""
    columns = [
        sql.SQL("count(*) filter (where not ({})) as {}").format(c, sql.Identifier(n))
        for n, c in filters.items()
    ]
    columns.append(
        sql.SQL("count(*) filter (where {}) as passing").format(
            sql.SQL(" and ").join(filters.values())
        )
    )
    query = sql.SQL("select {} from market.lp_profiles p").format(sql.SQL(", ").join(columns))
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, params)
    row = await cur.fetchone()
    return {k: int(v) for k, v in (row or {}).items()}


async def collaborative_signal(conn: Conn, strategy: str) -> dict[str, float]:
    """Response rates (0–100) of each LP type to funds of this strategy's family."""
    cur = await conn.execute(
        "select lp_type, (response_rate * 100)::float8 from public.collaborative_signals"
        " where fund_strategy = %(family)s",
        {"family": strategy.split("/")[0]},
    )
    return {row[0]: float(row[1]) for row in await cur.fetchall()}


async def commitments_in(
    conn: Conn, *, lp_ids: Sequence[uuid.UUID], strategies: list[str]
) -> dict[uuid.UUID, int]:
    """Known commitments of each LP to funds of these strategies."""
    cur = await conn.execute(
        "select lp_org_id, count(*) from public.investments"
        " where lp_org_id = any(%(ids)s) and strategy = any(%(strategies)s) group by lp_org_id",
        {"ids": list(lp_ids), "strategies": strategies},
    )
    return {row[0]: int(row[1]) for row in await cur.fetchall()}


async def pinned_lps_of(
    conn: Conn, *, fund_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """For each fund, the LPs the organisation acted on (a status, feedback or a pitch)."""
    cur = await conn.execute(
        """select fund_id, lp_org_id from public.fund_lp_status where fund_id = any(%(f)s)
           union
           select m.fund_id, m.lp_org_id from public.fund_lp_matches m
           where m.fund_id = any(%(f)s)
             and (exists (select 1 from public.match_feedback b where b.match_id = m.id)
                  or exists (select 1 from public.pitches t where t.match_id = m.id))""",
        {"f": list(fund_ids)},
    )
    out: dict[uuid.UUID, set[uuid.UUID]] = {f: set() for f in fund_ids}
    for fund, lp in await cur.fetchall():
        out[fund].add(lp)
    return out


async def pinned_lps(conn: Conn, *, fund_id: uuid.UUID) -> set[uuid.UUID]:
    """LPs the organisation acted on for this fund: their matches are kept and rescored."""
    return (await pinned_lps_of(conn, fund_ids=[fund_id]))[fund_id]


# A debate's outcome stands until the match is invalidated (its fund or LP changed, or new
# weights): a still-valid debated match is not overwritten by rule scores.
DEBATE_STANDS = "fund_lp_matches.debate_score is null or fund_lp_matches.valid_until <= now()"

MATCH_UPSERT = (
    """
insert into public.fund_lp_matches (fund_id, org_id, lp_org_id, score, rule_score,
  semantic_score, collaborative_score, score_breakdown, explanation, talking_points, concerns,
  recommendation, confidence, weights_version, model_version, prompt_version, computed_at,
  valid_until)
values (%(fund_id)s, %(org_id)s, %(lp_org_id)s, %(score)s, %(rule_score)s, %(semantic_score)s,
  %(collaborative_score)s, %(score_breakdown)s, %(explanation)s, %(talking_points)s,
  %(concerns)s, %(recommendation)s, %(confidence)s, %(weights_version)s, %(model_version)s,
  null, %(computed_at)s, %(computed_at)s + interval '90 days')
on conflict (fund_id, lp_org_id) do update set
  score = excluded.score, rule_score = excluded.rule_score,
  semantic_score = excluded.semantic_score,
  collaborative_score = excluded.collaborative_score, score_breakdown = excluded.score_breakdown,
  explanation = excluded.explanation, talking_points = excluded.talking_points,
  concerns = excluded.concerns, recommendation = excluded.recommendation,
  confidence = excluded.confidence, weights_version = excluded.weights_version,
  model_version = excluded.model_version, prompt_version = excluded.prompt_version,
  computed_at = excluded.computed_at, valid_until = excluded.valid_until, debate_score = null
where """
    + DEBATE_STANDS
)


async def upsert_matches(conn: Conn, rows: list[dict[str, Any]]) -> None:
    """Write computed matches, one row per (fund, LP)."""
    if not rows:
        return
    async with conn.cursor() as cur:
        await cur.executemany(
            MATCH_UPSERT,
            [{**r, "score_breakdown": Jsonb(r["score_breakdown"])} for r in rows],
        )


async def remove_stale(conn: Conn, *, fund_id: uuid.UUID, keep: Sequence[uuid.UUID]) -> int:
    """Drop the fund's matches outside the kept set (none the organisation acted on)."""
    cur = await conn.execute(
        """delete from public.fund_lp_matches m
           where m.fund_id = %(f)s and m.lp_org_id <> all(%(keep)s)
             and not exists (select 1 from public.fund_lp_status s
                             where s.fund_id = m.fund_id and s.lp_org_id = m.lp_org_id)
             and not exists (select 1 from public.match_feedback b where b.match_id = m.id)
             and not exists (select 1 from public.pitches t where t.match_id = m.id)""",
        {"f": fund_id, "keep": list(keep)},
    )
    return cur.rowcount


Freshness = tuple[int, int, datetime | None]


async def freshness(conn: Conn, *, fund_id: uuid.UUID) -> Freshness:
    """(matches, expired matches, last computed) of a fund."""
    cur = await conn.execute(
        "select count(*), count(*) filter (where valid_until <= now()), max(computed_at)"
        " from public.fund_lp_matches where fund_id = %(f)s",
        {"f": fund_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), row[2]


class MatchRow(BaseModel):
    """A match as lists and the API show it."""

    id: uuid.UUID
    fund_id: uuid.UUID
    org_id: uuid.UUID
    fund_name: str
    lp_org_id: uuid.UUID
    lp_name: str
    lp_type: str
    hq_country: str | None
    aum_musd: Decimal | None
    score: Decimal
    rule_score: Decimal | None
    semantic_score: Decimal | None
    debate_score: Decimal | None
    collaborative_score: Decimal | None
    score_breakdown: dict[str, Any]
    explanation: str | None
    talking_points: list[str]
    concerns: list[str]
    recommendation: str | None
    confidence: Decimal | None
    weights_version: int | None
    model_version: str | None
    prompt_version: str | None
    computed_at: datetime
    valid_until: datetime
    interest: str | None
    stage: str | None
    dismiss_reason: str | None
    next_step: str | None
    notes: str | None
    last_activity_at: datetime | None
    my_rating: int | None = None


MATCH_SELECT = """
select m.id, m.fund_id, m.org_id, f.name as fund_name, m.lp_org_id, o.name as lp_name, p.lp_type,
  o.hq_country, p.aum_musd, m.score, m.rule_score, m.semantic_score, m.debate_score,
  m.collaborative_score, m.score_breakdown, m.explanation, m.talking_points, m.concerns,
  m.recommendation, m.confidence, m.weights_version, m.model_version, m.prompt_version,
  m.computed_at, m.valid_until, s.interest, s.stage, s.dismiss_reason, s.next_step, s.notes,
  s.last_activity_at,
  (select b.rating from public.match_feedback b where b.match_id = m.id
     and b.person_id = %(person_id)s order by b.created_at desc limit 1) as my_rating
from public.fund_lp_matches m
join public.funds f on f.id = m.fund_id
join public.organizations o on o.id = m.lp_org_id
join public.lp_profiles p on p.org_id = m.lp_org_id
left join public.fund_lp_status s on s.fund_id = m.fund_id and s.lp_org_id = m.lp_org_id
"""


class MatchFilters(BaseModel):
    """What a match list may be narrowed to."""

    min_score: float = 0
    lp_types: list[str] = []
    strategies: list[str] = []
    geographies: list[str] = []
    include_dismissed: bool = False
    shortlisted_only: bool = False
    limit: int = 50
    offset: int = 0


def _match_where(fund_id: uuid.UUID, f: MatchFilters) -> tuple[sql.Composable, dict[str, Any]]:
    conditions = [sql.SQL("m.fund_id = %(fund_id)s and not m.is_hidden and m.score >= %(min)s")]
    params: dict[str, Any] = {"fund_id": fund_id, "min": f.min_score}
    if f.lp_types:
        conditions.append(sql.SQL("p.lp_type = any(%(types)s)"))
        params["types"] = f.lp_types
    if f.strategies:
        conditions.append(sql.SQL("p.strategies && %(strategies)s::text[]"))
        params["strategies"] = f.strategies
    if f.geographies:
        conditions.append(sql.SQL("p.geographies && %(geographies)s::text[]"))
        params["geographies"] = f.geographies
    if f.shortlisted_only:
        conditions.append(sql.SQL("s.interest in ('interested', 'pursuing')"))
    elif not f.include_dismissed:
        conditions.append(sql.SQL("s.interest is distinct from 'not_interested'"))
    return sql.SQL(" and ").join(conditions), params


async def list_matches(
    conn: Conn, *, fund_id: uuid.UUID, person_id: uuid.UUID, filters: MatchFilters
) -> tuple[list[MatchRow], int]:
    """A page of the fund's matches, best first, and how many match the filters."""
    where, params = _match_where(fund_id, filters)
    params |= {"person_id": person_id, "limit": filters.limit, "offset": filters.offset}
    cur = conn.cursor(row_factory=class_row(MatchRow))
    await cur.execute(
        sql.SQL(MATCH_SELECT)
        + sql.SQL(
            " where {} order by m.score desc, m.lp_org_id limit %(limit)s offset %(offset)s"
        ).format(where),
        params,
    )
    rows = await cur.fetchall()
    count = await conn.execute(
        sql.SQL(
            "select count(*) from public.fund_lp_matches m"
            " join public.lp_profiles p on p.org_id = m.lp_org_id"
            " left join public.fund_lp_status s on s.fund_id = m.fund_id"
            " and s.lp_org_id = m.lp_org_id where {}"
        ).format(where),
        params,
    )
    total = await count.fetchone()
    return rows, int(total[0]) if total else 0


async def get_match(conn: Conn, *, match_id: uuid.UUID, person_id: uuid.UUID) -> MatchRow | None:
    """One match (None when missing or another organisation's)."""
    cur = conn.cursor(row_factory=class_row(MatchRow))
    await cur.execute(
        sql.SQL(MATCH_SELECT) + sql.SQL(" where m.id = %(id)s and not m.is_hidden"),
        {"id": match_id, "person_id": person_id},
    )
    return await cur.fetchone()


async def get_match_for(
    conn: Conn, *, fund_id: uuid.UUID, lp_org_id: uuid.UUID, person_id: uuid.UUID
) -> MatchRow | None:
    """The match of one (fund, LP)."""
    cur = conn.cursor(row_factory=class_row(MatchRow))
    await cur.execute(
        sql.SQL(MATCH_SELECT)
        + sql.SQL(" where m.fund_id = %(f)s and m.lp_org_id = %(lp)s and not m.is_hidden"),
        {"f": fund_id, "lp": lp_org_id, "person_id": person_id},
    )
    return await cur.fetchone()
