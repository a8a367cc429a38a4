"""The LP database: search by keyword, filters and meaning; LP pages; CSV export; flags."""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from collections.abc import AsyncIterator
from typing import Literal

from psycopg import sql
from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from src.agents.embeddings import EmbeddingProvider, EmbeddingUnavailable
from src.db.queries import lps as queries
from src.db.queries.lps import (
    PAGE_SIZE,
    Commitment,
    Conn,
    Contact,
    LpDetail,
    LpListItem,
    Semantic,
    Where,
)
from src.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from src.services.formatting import csv_cell
from src.services.taxonomy import (
    COUNTRY_NAMES,
    LP_TYPE_LABELS,
    LP_TYPES,
    REGION_LABELS,
    REGIONS,
    STRATEGIES,
    STRATEGY_LABELS,
    geography_match_set,
    strategy_match_set,
)

LpType = Literal[
    "public_pension", "corporate_pension", "endowment", "foundation", "family_office",
    "sovereign_wealth", "insurance", "fund_of_funds", "bank", "ria", "other",
]  # fmt: skip
Sort = Literal["relevance", "aum", "name", "verified"]
Money = float
GEOGRAPHIES = (*REGIONS, *COUNTRY_NAMES)


class LpFilters(BaseModel):
    """Every way to narrow the LP list; all optional; names match the URL's query parameters."""

    q: str = Field(default="", max_length=200, description="Keywords: name, mandate, description")
    semantic: str = Field(
        default="", max_length=500, description="A description of the LPs you want"
    )
    type: list[LpType] = Field(default_factory=list, description="LP types")
    aum_min: Money | None = Field(default=None, ge=0, le=1_000_000)
    aum_max: Money | None = Field(default=None, ge=0, le=1_000_000)
    strategy: list[str] = Field(default_factory=list, description="Strategy codes")
    geography: list[str] = Field(default_factory=list, description="Region or ISO country codes")
    check_min: Money | None = Field(default=None, ge=0, le=1_000_000)
    check_max: Money | None = Field(default=None, ge=0, le=1_000_000)
    fund_size_min: Money | None = Field(default=None, ge=0, le=1_000_000)
    fund_size_max: Money | None = Field(default=None, ge=0, le=1_000_000)
    esg: bool | None = None
    emerging: bool | None = None
    looking: bool | None = None
    quality_min: float | None = Field(default=None, ge=0, le=1)
    sort: Sort = "relevance"
    page: int = Field(default=1, ge=1, le=10_000)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object, info: ValidationInfo) -> object:
        # An empty form field ("aum_min=") means "no filter", not an invalid number.
        if value == "" and info.field_name:
            return cls.model_fields[info.field_name].get_default(call_default_factory=True)
        if isinstance(value, list):
            return [v for v in value if v != ""]
        return value

    @field_validator("strategy")
    @classmethod
    def _known_strategies(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in STRATEGIES]
        if unknown:
            raise ValueError(
                f"unknown strategy {', '.join(unknown)}; accepted: {', '.join(STRATEGIES)}"
            )
        return values

    @field_validator("geography")
    @classmethod
    def _known_geographies(cls, values: list[str]) -> list[str]:
        values = [v if v in REGIONS else v.upper() for v in values]
        unknown = [v for v in values if v not in GEOGRAPHIES]
        if unknown:
            raise ValueError(
                f"unknown geography {', '.join(unknown)}; accepted: {', '.join(REGIONS)} or an "
                f"ISO country code"
            )
        return values

    @model_validator(mode="after")
    def _ranges(self) -> LpFilters:
        for low, high in (
            ("aum_min", "aum_max"),
            ("check_min", "check_max"),
            ("fund_size_min", "fund_size_max"),
        ):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{low} must not be above {high}")
        return self


FILTER_LABELS = {
    "keyword": "the keywords", "type": "LP type", "aum": "AUM range", "strategy": "strategy",
    "geography": "geography", "check": "check size", "fund_size": "fund size",
    "esg": "ESG requirement", "emerging": "emerging-manager programme", "looking": "actively "
    "looking",
    "quality": "data quality",
}  # fmt: skip


def build_where(filters: LpFilters) -> Where:
    """The filters as named SQL conditions with bound values.

    Numbers are cast to the columns' numeric type: compared as floats, the columns would be
    cast instead and their indexes left unused.
    """
    where = Where()
    add = where.conditions.__setitem__
    params = where.params
    if filters.q.strip():
        q = filters.q.strip()
        words = re.findall(r"[\w]+", q.lower())
        # No letters or digits ("§"): an empty tsquery, which matches nothing ('' is a
        # tsquery syntax error).
        prefix = " & ".join(f"{w}:*" for w in words)
        params |= {"q": q, "q_prefix": prefix}
        add("keyword", queries.KEYWORD_MATCH)
    if filters.type:
        params["types"] = list(filters.type)
        add("type", sql.SQL("p.lp_type = any(%(types)s)"))
    if filters.aum_min is not None or filters.aum_max is not None:
        params |= {"aum_min": filters.aum_min or 0, "aum_max": filters.aum_max or 1_000_000}
        add("aum", sql.SQL("p.aum_musd between %(aum_min)s::numeric and %(aum_max)s::numeric"))
    if filters.strategy:
        params["strategies"] = strategy_match_set(filters.strategy)
        add("strategy", sql.SQL("p.strategies && %(strategies)s::text[]"))
    if filters.geography:
        params["geographies"] = geography_match_set(filters.geography)
        add("geography", sql.SQL("p.geographies && %(geographies)s::text[]"))
    _overlap(where, "check", "check_size", filters.check_min, filters.check_max)
    _overlap(where, "fund_size", "fund_size", filters.fund_size_min, filters.fund_size_max)
    for name, column, value in (
        ("esg", "esg_required", filters.esg),
        ("emerging", "emerging_manager_program", filters.emerging),
        ("looking", "actively_looking", filters.looking),
    ):
        if value is not None:
            params[name] = value
            add(name, sql.SQL("p.{} = %({})s").format(sql.Identifier(column), sql.SQL(name)))
    if filters.quality_min is not None:
        params["quality_min"] = filters.quality_min
        add("quality", sql.SQL("p.data_quality_score >= %(quality_min)s::numeric"))
    return where


def _overlap(where: Where, name: str, column: str, low: float | None, high: float | None) -> None:
    """The LP's [min, max] range overlaps the requested one (unknown ranges do not match)."""
    if low is None and high is None:
        return
    where.params |= {
        f"{name}_low": low or 0,
        f"{name}_high": high if high is not None else 1_000_000,
    }
    where.conditions[name] = sql.SQL(
        "p.{max} >= %({name}_low)s::numeric and p.{min} <= %({name}_high)s::numeric"
    ).format(
        max=sql.Identifier(f"{column}_max_musd"),
        min=sql.Identifier(f"{column}_min_musd"),
        name=sql.SQL(name),
    )


class EmptyExplanation(BaseModel):
    """Which filter removed the most LPs, and how many would match without it."""

    filter: str
    label: str
    matches_without: int


class IndexingStatus(BaseModel):
    """How far a background embedding run has got (meaning-based results are partial)."""

    done: int
    total: int


class SearchResult(BaseModel):
    """A page of LPs, the true total, and why nothing matched (when nothing did)."""

    items: list[LpListItem]
    total: int
    page: int
    pages: int
    page_size: int = PAGE_SIZE
    semantic_model: str | None = None
    indexing: IndexingStatus | None = None
    explanation: EmptyExplanation | None = None


async def search(
    conn: Conn, filters: LpFilters, *, embeddings: EmbeddingProvider | None = None
) -> SearchResult:
    """Search the LP database; natural-language text ranks by similarity within the filters."""
    where = build_where(filters)
    semantic = await _semantic(filters, embeddings)
    total = await queries.count(conn, where, semantic=semantic)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    items = (
        await queries.search(conn, where, sort=filters.sort, page=filters.page, semantic=semantic)
        if total
        else []
    )
    explanation = (
        await _explain_empty(conn, where, semantic) if total == 0 and where.conditions else None
    )
    return SearchResult(
        items=items,
        total=total,
        page=filters.page,
        pages=pages,
        explanation=explanation,
        semantic_model=semantic.model if semantic else None,
    )


async def _semantic(filters: LpFilters, embeddings: EmbeddingProvider | None) -> Semantic | None:
    text = filters.semantic.strip()
    if not text:
        return None
    if embeddings is None:
        raise ServiceUnavailable("Natural-language search is not available right now.")
    try:
        vector = await embeddings.embed_query(text)
    except EmbeddingUnavailable as exc:
        raise ServiceUnavailable(
            "The embedding service is not answering; try a keyword search or retry shortly."
        ) from exc
    return Semantic(model=embeddings.model, dims=embeddings.dims, vector=vector)


async def _explain_empty(
    conn: Conn, where: Where, semantic: Semantic | None
) -> EmptyExplanation | None:
    best: EmptyExplanation | None = None
    for name in where.conditions:
        matches = await queries.count(conn, where, without=name, semantic=semantic)
        if best is None or matches > best.matches_without:
            best = EmptyExplanation(filter=name, label=FILTER_LABELS[name], matches_without=matches)
    return best


class LpPage(BaseModel):
    """An LP with its contacts, commitments and what its data lacks."""

    lp: LpDetail
    contacts: list[Contact]
    commitments: list[Commitment]
    missing: list[str]
    flagged_by_me: bool


def missing_facts(
    lp: LpDetail, contacts: list[Contact], commitments: list[Commitment]
) -> list[str]:
    """What lowers the data quality score (the same ten facts the SQL score counts)."""
    checks = {
        "a mandate of at least a sentence": len(lp.mandate_text or "") >= 40,
        "strategies": bool(lp.strategies),
        "geographies": bool(lp.geographies),
        "sectors": bool(lp.sectors),
        "AUM": lp.aum_musd is not None,
        "check size range": lp.check_size_min_musd is not None
        and lp.check_size_max_musd is not None,
        "fund size range": lp.fund_size_min_musd is not None and lp.fund_size_max_musd is not None,
        "website": bool(lp.website),
        "a current contact": bool(contacts),
        "a known commitment": bool(commitments),
    }
    missing = [name for name, present in checks.items() if not present]
    if lp.last_verified_at is None:
        missing.append("a verification date")
    return missing


async def get_lp_page(conn: Conn, org_id: uuid.UUID) -> LpPage:
    """The LP page's data, or NotFound."""
    lp = await queries.get_lp(conn, org_id=org_id)
    if lp is None:
        raise NotFound("LP", org_id)
    contacts = await queries.list_contacts(conn, org_id=org_id)
    commitments = await queries.list_commitments(conn, org_id=org_id)
    flagged = await queries.count_open_flags_by_me(conn, org_id=org_id) > 0
    return LpPage(
        lp=lp,
        contacts=contacts,
        commitments=commitments,
        missing=missing_facts(lp, contacts, commitments),
        flagged_by_me=flagged,
    )


async def flag_outdated(conn: Conn, org_id: uuid.UUID, *, reason: str) -> None:
    """Put the LP in the platform admins' queue (once per person until resolved)."""
    reason = " ".join(reason.split())
    if not 1 <= len(reason) <= 1000:
        raise InvalidInput(
            "Say what looks outdated.",
            details=[{"field": "reason", "message": "Write up to 1,000 characters."}],
        )
    if await queries.get_lp(conn, org_id=org_id) is None:
        raise NotFound("LP", org_id)
    if await queries.count_open_flags_by_me(conn, org_id=org_id):
        raise Conflict("You have already flagged this LP; an admin will review it.")
    await queries.insert_flag(conn, org_id=org_id, reason=reason)


CSV_COLUMNS = (
    "name", "lp_type", "hq_country", "region", "aum_musd", "strategies", "geographies",
    "check_size_min_musd", "check_size_max_musd", "fund_size_min_musd", "fund_size_max_musd",
    "esg_required", "emerging_manager_program", "actively_looking", "data_quality_score",
    "last_verified_at", "website",
)  # fmt: skip


async def export_csv(conn: Conn, filters: LpFilters) -> AsyncIterator[str]:
    """The whole filtered result as CSV, a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    rows = 0
    async for item in queries.stream(
        conn, build_where(filters), sort=filters.sort if filters.sort != "relevance" else "name"
    ):
        data = item.model_dump()
        writer.writerow([csv_cell(data[column]) for column in CSV_COLUMNS])
        rows += 1
        if rows % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def filter_options() -> dict[str, list[tuple[str, str]]]:
    """Choices for the search form."""
    return {
        "type": [(t, LP_TYPE_LABELS[t]) for t in LP_TYPES],
        "strategy": [(s, STRATEGY_LABELS[s]) for s in STRATEGIES],
        "geography": [(r, REGION_LABELS[r]) for r in REGIONS],
    }
