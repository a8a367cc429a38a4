"""A fund's matches as pages and the API show them: fresh, filtered, with "why no matches"."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from pydantic import BaseModel, Field, field_validator

from src.agents.embeddings import EmbeddingProvider
from src.db.queries import funds as fund_queries
from src.db.queries import matches as queries
from src.db.queries.funds import FundDetail
from src.db.queries.matches import MatchFilters, MatchRow
from src.errors import NotFound
from src.services import funds
from src.services.lps import LpType
from src.services.matching import engine
from src.services.matching.engine import Exclusion
from src.services.matching.explain import ANALYSIS_KIND
from src.services.taxonomy import (
    COUNTRY_NAMES,
    REGIONS,
    STRATEGIES,
    geography_match_set,
    strategy_match_set,
)
from src.services.users import User

Conn = AsyncConnection[TupleRow]


def known_strategies(values: list[str]) -> list[str]:
    """Strategy codes, or a readable error listing the accepted ones."""
    unknown = [v for v in values if v not in STRATEGIES]
    if unknown:
        raise ValueError(
            f"unknown strategy {', '.join(unknown)}; accepted: {', '.join(STRATEGIES)}"
        )
    return values


def known_geographies(values: list[str]) -> list[str]:
    """Region or ISO country codes (upper-cased), or a readable error."""
    values = [v if v in REGIONS else v.upper() for v in values]
    unknown = [v for v in values if v not in REGIONS and v not in COUNTRY_NAMES]
    if unknown:
        raise ValueError(
            f"unknown geography {', '.join(unknown)}; accepted: {', '.join(REGIONS)} or an"
            " ISO country code"
        )
    return values


class MatchQuery(BaseModel):
    """How to narrow and page a fund's matches."""

    min_score: float = Field(default=60, ge=0, le=100)
    type: list[LpType] = Field(default_factory=list, description="LP types")
    strategies: list[str] = Field(default_factory=list, description="Strategy codes")
    geographies: list[str] = Field(default_factory=list, description="Region or country codes")
    include_dismissed: bool = False
    shortlisted: bool = False
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=10_000)

    @field_validator("strategies")
    @classmethod
    def _strategies(cls, values: list[str]) -> list[str]:
        return known_strategies(values)

    @field_validator("geographies")
    @classmethod
    def _geographies(cls, values: list[str]) -> list[str]:
        return known_geographies(values)


class GenerateRequest(BaseModel):
    """POST /api/v1/matches/generate."""

    fund_id: uuid.UUID
    limit: int = Field(default=50, ge=1, le=200)
    min_score: float = Field(default=60, ge=0, le=100)
    strategies: list[str] = Field(default_factory=list)
    geographies: list[str] = Field(default_factory=list)

    @field_validator("strategies")
    @classmethod
    def _strategies(cls, values: list[str]) -> list[str]:
        return known_strategies(values)

    @field_validator("geographies")
    @classmethod
    def _geographies(cls, values: list[str]) -> list[str]:
        return known_geographies(values)


class MatchList(BaseModel):
    """A page of a fund's matches."""

    fund_id: uuid.UUID
    analysis: str = ANALYSIS_KIND
    items: list[MatchRow]
    total: int
    limit: int
    offset: int
    computed_at: datetime | None
    stale: bool = False
    # The stored matches were missing or expired and were recomputed for this request (a
    # match cache miss).
    recomputed: bool = False
    why_no_matches: list[Exclusion] = []


def _filters(query: MatchQuery) -> MatchFilters:
    return MatchFilters(
        min_score=query.min_score,
        lp_types=list(query.type),
        strategies=strategy_match_set(query.strategies) if query.strategies else [],
        geographies=geography_match_set(query.geographies) if query.geographies else [],
        include_dismissed=query.include_dismissed,
        shortlisted_only=query.shortlisted,
        limit=query.limit,
        offset=query.offset,
    )


async def list_for_fund(
    conn: Conn,
    user: User,
    fund_id: uuid.UUID,
    query: MatchQuery,
    *,
    embeddings: EmbeddingProvider,
    now: datetime,
    fund: FundDetail | None = None,
) -> MatchList:
    """The fund's matches, recomputed first when they are missing or expired.

    `fund` is the fund the caller already loaded with `funds.get` (saves reading it again).
    """
    fund = fund or await funds.get(conn, fund_id, user.org_id)
    run, freshness = await engine.ensure_fresh(
        conn, fund_id, embeddings=embeddings, now=now, can_write=user.can_write,
        status=fund.status,
    )  # fmt: skip
    page = await _page(conn, user, fund_id, query, now=now, freshness=freshness)
    page.recomputed = run is not None
    return page


async def refresh_published(
    conn: Conn, fund_id: uuid.UUID, status: str, *, embeddings: EmbeddingProvider, now: datetime
) -> engine.MatchRun | None:
    """After a publish or edit: rule scores at once, the full analysis queued for tonight.

    Drafts are never matched; a closed fund is no longer analysed.
    """
    if status in ("draft", "closed"):
        return None
    await fund_queries.request_analysis(conn, fund_id=fund_id)
    return await engine.compute_matches(conn, fund_id, embeddings=embeddings, now=now)


async def generate(
    conn: Conn,
    user: User,
    request: GenerateRequest,
    *,
    embeddings: EmbeddingProvider,
    now: datetime,
) -> MatchList:
    """Score the fund against every LP now and return the best matches."""
    await funds.get(conn, request.fund_id, user.org_id)
    await engine.compute_matches(conn, request.fund_id, embeddings=embeddings, now=now)
    query = MatchQuery(
        min_score=request.min_score,
        strategies=request.strategies,
        geographies=request.geographies,
        limit=request.limit,
    )
    return await _page(conn, user, request.fund_id, query, now=now)


async def _page(
    conn: Conn,
    user: User,
    fund_id: uuid.UUID,
    query: MatchQuery,
    *,
    now: datetime,
    freshness: queries.Freshness | None = None,
) -> MatchList:
    rows, total = await queries.list_matches(
        conn, fund_id=fund_id, person_id=user.person_id, filters=_filters(query)
    )
    count, expired, computed_at = freshness or await queries.freshness(conn, fund_id=fund_id)
    why: list[Exclusion] = []
    if not count:
        why = await engine.why_no_matches(conn, fund_id, today=now.date())
    return MatchList(
        fund_id=fund_id,
        items=rows,
        total=total,
        limit=query.limit,
        offset=query.offset,
        computed_at=computed_at,
        stale=bool(expired),
        why_no_matches=why,
    )


async def get(conn: Conn, user: User, match_id: uuid.UUID) -> MatchRow:
    """One match of the user's organisation."""
    match = await queries.get_match(conn, match_id=match_id, person_id=user.person_id)
    if match is None or match.org_id != user.org_id:
        raise NotFound("match", match_id)
    return match


def factor_bars(match: MatchRow) -> list[dict[str, Any]]:
    """The breakdown's factors, for bars on the page."""
    return list(match.score_breakdown.get("factors", []))
