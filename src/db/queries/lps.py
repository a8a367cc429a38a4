"""LP search and LP pages: one WHERE clause built from the filters, shared by list, count, export.

Identifiers and fixed fragments are composed with psycopg.sql; every user value is a bound
parameter. Profiles are read through `market.lp_profiles` (the same rows as the table, which
every member may read) so the planner can use column statistics: under row-level security it
estimates every non-leakproof filter at a default selectivity and picks bad plans.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]
PAGE_SIZE = 50


class LpListItem(BaseModel):
    """One LP in a result list."""

    org_id: uuid.UUID
    name: str
    lp_type: str
    hq_country: str | None
    region: str | None
    aum_musd: Decimal | None
    strategies: list[str]
    geographies: list[str]
    check_size_min_musd: Decimal | None
    check_size_max_musd: Decimal | None
    fund_size_min_musd: Decimal | None
    fund_size_max_musd: Decimal | None
    esg_required: bool | None
    emerging_manager_program: bool | None
    actively_looking: bool | None
    data_quality_score: Decimal
    last_verified_at: datetime | None
    mandate_excerpt: str | None
    website: str | None
    similarity: float | None = None


@dataclass
class Where:
    """Named conditions (so one can be dropped to explain an empty result) and their values."""

    conditions: dict[str, sql.Composable] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def clause(self, without: str | None = None) -> sql.Composable:
        """The conditions joined with `and` (always only active LPs), optionally minus one."""
        parts = [sql.SQL("p.is_active")] + [
            c for name, c in self.conditions.items() if name != without
        ]
        return sql.SQL(" and ").join(parts)


@dataclass(frozen=True)
class Semantic:
    """Order by cosine distance to a query vector of one model."""

    model: str
    dims: int
    vector: list[float]


LIST_COLUMNS = sql.SQL(
    """o.id as org_id, o.name, p.lp_type, o.hq_country, p.region, p.aum_musd, p.strategies,
       p.geographies, p.check_size_min_musd, p.check_size_max_musd, p.fund_size_min_musd,
       p.fund_size_max_musd, p.esg_required, p.emerging_manager_program, p.actively_looking,
       p.data_quality_score, p.last_verified_at, left(p.mandate_text, 240) as mandate_excerpt,
       o.website"""
)
FROM = sql.SQL("market.lp_profiles p join public.organizations o on o.id = p.org_id")
# Words as typed (English stemming), or word prefixes in any field ("calp" finds CalPERS): one
# tsquery (OR-ed with ||), so the planner can AND its index scan with the other filters'.
KEYWORD_MATCH = sql.SQL(
    "p.search_vector @@ (websearch_to_tsquery('english', %(q)s)"
    " || to_tsquery('simple', %(q_prefix)s))"
)
# Relevance: LPs whose name holds every word (as a word prefix) first, then data quality. The
# name's own small vector is tested, not the wide search vector, for every match.
KEYWORD_RANK = sql.SQL("(p.name_vector @@ to_tsquery('simple', %(q_prefix)s))::int")
# Orders use lp_profiles' own columns only (lp_name mirrors the organisation's name), so the
# page is chosen before joining the organisations of just those 50 rows. Each ends with the
# key, so pages never overlap or skip rows that tie.
SORTS = {
    "aum": sql.SQL("p.aum_musd desc nulls last, p.lp_name, p.org_id"),
    "name": sql.SQL("lower(p.lp_name), p.org_id"),
    "verified": sql.SQL("p.last_verified_at desc nulls last, p.lp_name, p.org_id"),
}


def _vector_expr(semantic: Semantic) -> sql.Composable:
    return sql.SQL(
        "(e.embedding::extensions.vector({dims})) <=> %(qvec)s::extensions.vector({dims})"
    ).format(dims=sql.Literal(semantic.dims))


def _semantic_join(semantic: Semantic | None) -> sql.Composable:
    if semantic is None:
        return sql.SQL("")
    return sql.SQL(
        " join market.lp_mandate_vectors e on e.org_id = p.org_id and e.model = {model}"
    ).format(model=sql.Literal(semantic.model))


def _order(where: Where, sort: str, semantic: Semantic | None) -> sql.Composable:
    if semantic is not None and sort == "relevance":
        return _vector_expr(semantic)
    if sort in SORTS:
        return SORTS[sort]
    if "keyword" in where.conditions:
        return sql.SQL("{} desc, p.data_quality_score desc, p.lp_name, p.org_id").format(
            KEYWORD_RANK
        )
    return sql.SQL("p.data_quality_score desc, p.aum_musd desc nulls last, p.lp_name, p.org_id")


async def _prepare_vector_search(conn: Conn, semantic: Semantic | None) -> None:
    if semantic is not None:
        # Filters applied after the HNSW scan must not starve the page: keep scanning.
        await conn.execute(
            "select set_config('hnsw.iterative_scan', 'relaxed_order', true), "
            "set_config('hnsw.ef_search', '100', true)"
        )


async def search(
    conn: Conn, where: Where, *, sort: str, page: int, semantic: Semantic | None = None
) -> list[LpListItem]:
    """One page of LPs matching the filters."""
    await _prepare_vector_search(conn, semantic)
    distance = (
        sql.SQL(", {} as distance").format(_vector_expr(semantic)) if semantic else sql.SQL("")
    )
    order = (
        sql.SQL("page.distance, p.org_id")
        if semantic and sort == "relevance"
        else _order(where, sort, None)
    )
    # Pick the page's keys from lp_profiles alone (the sort carries no wide columns), then read
    # those 50 profiles and their organisations.
    query = sql.SQL(
        "select {cols}{sim} from (select p.org_id{distance} from market.lp_profiles p{join}"
        " where {where} order by {inner_order} limit {limit} offset %(offset)s) page"
        " join market.lp_profiles p on p.org_id = page.org_id"
        " join public.organizations o on o.id = p.org_id order by {order}"
    ).format(
        cols=LIST_COLUMNS,
        sim=sql.SQL(", 1 - page.distance as similarity") if semantic else sql.SQL(""),
        distance=distance,
        join=_semantic_join(semantic),
        where=where.clause(),
        inner_order=_order(where, sort, semantic),
        order=order,
        limit=sql.Literal(PAGE_SIZE),
    )
    params = {**where.params, "offset": (page - 1) * PAGE_SIZE}
    if semantic is not None:
        params["qvec"] = semantic.vector
    cur = conn.cursor(row_factory=class_row(LpListItem))
    await cur.execute(query, params)
    return await cur.fetchall()


async def count(
    conn: Conn, where: Where, *, without: str | None = None, semantic: Semantic | None = None
) -> int:
    """How many LPs match (optionally with one condition dropped)."""
    # Every condition is on lp_profiles: counting needs no join with organizations.
    query = sql.SQL("select count(*) from market.lp_profiles p{join} where {where}").format(
        join=_semantic_join(semantic), where=where.clause(without)
    )
    cur = await conn.execute(query, where.params)
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def stream(conn: Conn, where: Where, *, sort: str) -> AsyncIterator[LpListItem]:
    """Every matching LP, through a server-side cursor (for CSV export)."""
    query = sql.SQL("select {cols} from {src} where {where} order by {order}").format(
        cols=LIST_COLUMNS, src=FROM, where=where.clause(), order=_order(where, sort, None)
    )
    async with conn.cursor(name="lp_export", row_factory=class_row(LpListItem)) as cur:
        cur.itersize = 1000
        await cur.execute(query, where.params)
        async for row in cur:
            yield row


class Contact(BaseModel):
    """A person at the LP."""

    full_name: str
    title: str | None
    is_decision_maker: bool
    email: str | None


class Commitment(BaseModel):
    """A known commitment of the LP."""

    fund_name: str
    manager_name: str | None
    strategy: str | None
    vintage_year: int | None
    amount_musd: Decimal | None
    source: str
    confidence: Decimal


class LpDetail(LpListItem):
    """Everything the LP page shows."""

    mandate_text: str | None
    description: str | None
    private_markets_allocation_pct: Decimal | None
    sectors: list[str]
    min_track_record_years: int | None
    updated_at: datetime


async def get_lp(conn: Conn, *, org_id: uuid.UUID) -> LpDetail | None:
    """One LP's profile."""
    cur = conn.cursor(row_factory=class_row(LpDetail))
    await cur.execute(
        sql.SQL(
            "select {cols}, p.mandate_text, p.description, p.private_markets_allocation_pct, "
            "p.sectors,"
            " p.min_track_record_years, p.updated_at from {src} where o.id = %(id)s"
        ).format(cols=LIST_COLUMNS, src=FROM),
        {"id": org_id},
    )
    return await cur.fetchone()


async def list_contacts(conn: Conn, *, org_id: uuid.UUID) -> list[Contact]:
    """Current people at the LP, decision makers first."""
    cur = conn.cursor(row_factory=class_row(Contact))
    await cur.execute(
        "select p.full_name, e.title, e.is_decision_maker, p.email from public.employment e "
        "join public.people p on p.id = e.person_id where e.org_id = %(id)s and e.is_current "
        "order by e.is_decision_maker desc, p.full_name",
        {"id": org_id},
    )
    return await cur.fetchall()


async def list_commitments(conn: Conn, *, org_id: uuid.UUID) -> list[Commitment]:
    """Known commitments, newest vintage first."""
    cur = conn.cursor(row_factory=class_row(Commitment))
    await cur.execute(
        "select fund_name, manager_name, strategy, vintage_year, amount_musd, source, confidence "
        "from public.investments where lp_org_id = %(id)s "
        "order by vintage_year desc nulls last, fund_name",
        {"id": org_id},
    )
    return await cur.fetchall()


async def insert_flag(conn: Conn, *, org_id: uuid.UUID, reason: str) -> None:
    """Flag the LP's data as outdated, by the signed-in person."""
    await conn.execute(
        "insert into public.lp_flags (lp_org_id, flagged_by, reason) "
        "values (%(id)s, public.current_person_id(), %(reason)s)",
        {"id": org_id, "reason": reason},
    )


async def count_open_flags_by_me(conn: Conn, *, org_id: uuid.UUID) -> int:
    """Whether the signed-in person already flagged this LP."""
    cur = await conn.execute(
        "select count(*) from public.lp_flags where lp_org_id = %(id)s and resolved_at is null "
        "and flagged_by = public.current_person_id()",
        {"id": org_id},
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0
