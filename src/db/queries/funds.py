"""Funds as their organisation sees them (RLS)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class FundCard(BaseModel):
    """A fund with its pipeline counts, for the dashboard."""

    id: uuid.UUID
    name: str
    status: str
    strategy: str | None
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


class FundSummary(BaseModel):
    """A fund in the organisation's list."""

    id: uuid.UUID
    name: str
    fund_number: int | None
    status: str
    strategy: str | None
    target_size_musd: Decimal | None
    updated_at: datetime
    matches: int


class FundDetail(BaseModel):
    """Every stored field of a fund."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    fund_number: int | None
    status: str
    strategy: str | None
    target_size_musd: Decimal | None
    hard_cap_musd: Decimal | None
    geographies: list[str]
    sectors: list[str]
    thesis: str | None
    team_summary: str | None
    has_esg_policy: bool
    esg_policy_text: str | None
    is_emerging_manager: bool
    first_close_on: date | None
    created_at: datetime
    updated_at: datetime
    # When a GP's publish or edit queued the full analysis of the top matches (the next batch
    # run clears it).
    analysis_requested_at: datetime | None = None


class TrackRecord(BaseModel):
    """A prior fund of the manager."""

    name: str
    vintage_year: int
    size_musd: Decimal | None
    net_irr_pct: Decimal | None
    tvpi: Decimal | None


FUND_COLUMNS = (
    "name", "fund_number", "status", "strategy", "target_size_musd", "hard_cap_musd",
    "geographies", "sectors", "thesis", "team_summary", "has_esg_policy", "esg_policy_text",
    "is_emerging_manager", "first_close_on",
)  # fmt: skip


async def list_funds(conn: Conn, *, org_id: uuid.UUID) -> list[FundSummary]:
    """The organisation's funds, live ones first."""
    cur = conn.cursor(row_factory=class_row(FundSummary))
    await cur.execute(
        """select f.id, f.name, f.fund_number, f.status, f.strategy, f.target_size_musd,
             f.updated_at,
             (select count(*) from public.fund_lp_matches m where m.fund_id = f.id
                and not m.is_hidden) as matches
           from public.funds f where f.org_id = %(org_id)s
           order by f.status = 'closed', f.updated_at desc""",
        {"org_id": org_id},
    )
    return await cur.fetchall()


async def get_fund(conn: Conn, *, fund_id: uuid.UUID) -> FundDetail | None:
    """One fund (None when missing or another organisation's)."""
    cur = conn.cursor(row_factory=class_row(FundDetail))
    await cur.execute(
        sql.SQL(
            "select id, org_id, created_at, updated_at, analysis_requested_at, {}"
            " from public.funds where id = %(id)s"
        ).format(sql.SQL(", ").join(map(sql.Identifier, FUND_COLUMNS))),
        {"id": fund_id},
    )
    return await cur.fetchone()


async def request_analysis(conn: Conn, *, fund_id: uuid.UUID) -> None:
    """Queue the full analysis of the fund's top matches for the next batch run."""
    await conn.execute(
        "update public.funds set analysis_requested_at = now() where id = %(id)s",
        {"id": fund_id},
    )


async def list_track_records(conn: Conn, *, fund_id: uuid.UUID) -> list[TrackRecord]:
    """The fund's prior funds, oldest first."""
    cur = conn.cursor(row_factory=class_row(TrackRecord))
    await cur.execute(
        "select name, vintage_year, size_musd, net_irr_pct, tvpi from public.fund_track_records"
        " where fund_id = %(id)s order by vintage_year, name",
        {"id": fund_id},
    )
    return await cur.fetchall()


async def insert_fund(
    conn: Conn, *, org_id: uuid.UUID, person_id: uuid.UUID, values: dict[str, Any]
) -> uuid.UUID:
    """Store a new fund; returns its id."""
    columns = [c for c in FUND_COLUMNS if c in values]
    cur = await conn.execute(
        sql.SQL(
            "insert into public.funds (org_id, created_by, {cols}) values"
            " (%(org_id)s, %(person_id)s, {vals}) returning id"
        ).format(
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            vals=sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
        ),
        {**values, "org_id": org_id, "person_id": person_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


async def update_fund(conn: Conn, *, fund_id: uuid.UUID, values: dict[str, Any]) -> bool:
    """Replace the fund's fields; False when it is not visible."""
    columns = [c for c in FUND_COLUMNS if c in values]
    cur = await conn.execute(
        sql.SQL("update public.funds set {sets}, updated_at = now() where id = %(id)s").format(
            sets=sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in columns
            )
        ),
        {**values, "id": fund_id},
    )
    return cur.rowcount == 1


async def update_status(conn: Conn, *, fund_id: uuid.UUID, status: str) -> None:
    """Move the fund to a status."""
    await conn.execute(
        "update public.funds set status = %(s)s, updated_at = now() where id = %(id)s",
        {"s": status, "id": fund_id},
    )


async def replace_track_records(
    conn: Conn, *, fund_id: uuid.UUID, org_id: uuid.UUID, records: list[dict[str, Any]]
) -> None:
    """Make the fund's prior funds exactly these (unchanged rows are not rewritten)."""
    current = await list_track_records(conn, fund_id=fund_id)
    wanted = [TrackRecord.model_validate(r) for r in records]
    if current == sorted(wanted, key=lambda r: (r.vintage_year, r.name)):
        return
    await conn.execute(
        "delete from public.fund_track_records where fund_id = %(id)s", {"id": fund_id}
    )
    if records:
        async with conn.cursor() as cur:
            await cur.executemany(
                "insert into public.fund_track_records (fund_id, org_id, name, vintage_year,"
                " size_musd, net_irr_pct, tvpi) values (%(fund_id)s, %(org_id)s, %(name)s,"
                " %(vintage_year)s, %(size_musd)s, %(net_irr_pct)s, %(tvpi)s)",
                [{**r, "fund_id": fund_id, "org_id": org_id} for r in records],
            )
