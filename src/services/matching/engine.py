"""Match one fund against the LP base: hard filters, rule score, breakdown, reasons, upsert.

One SQL query filters every LP and computes the factor scores; Postgres sorts and keeps the
best `keep` (200 by default, plus every LP the organisation already acted on). Python then
builds the breakdown, the rule-based reasons, the label and confidence for just those rows and
upserts them with the weights version and `computed_at`; rows that fell out are removed
(unless the organisation acted on them). Matching a fund twice leaves one row per (fund, LP).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Final

from psycopg import sql
from pydantic import BaseModel

from src.agents.embeddings import EmbeddingProvider, EmbeddingUnavailable, text_hash
from src.db.queries import matches as queries
from src.db.queries.embeddings import PendingText, upsert_embeddings
from src.db.queries.matches import Conn
from src.errors import Conflict, NotFound
from src.services.matching.explain import (
    ANALYSIS_KIND,
    Candidate,
    blend,
    breakdown,
    compose,
    confidence_for,
    label_for,
)
from src.services.matching.rules import (
    FACTORS,
    HARD_FILTER_LABELS,
    FundFacts,
    build_rules,
    collaborative_expr,
    final_score_order,
)

logger = logging.getLogger(__name__)

KEEP_PER_FUND: Final = 200
MODEL_VERSION: Final = "rules-v1"
# The blend components a rule score uses (the debate's comes later, from the analysts).
RULE_BLENDED: Final = ("rule", "semantic", "collaborative")


class Exclusion(BaseModel):
    """One hard filter and how many LPs it excludes on its own."""

    filter: str
    label: str
    excluded: int


class MatchRun(BaseModel):
    """What computing a fund's matches did."""

    fund_id: uuid.UUID
    candidates: int
    stored: int
    removed: int
    exclusions: list[Exclusion]
    semantic_available: bool
    computed_at: datetime


@dataclass(frozen=True)
class FundRecord:
    """The fund row matching reads."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    status: str
    strategy: str | None
    target_size_musd: float | None
    geographies: list[str]
    sectors: list[str]
    thesis: str | None
    has_esg_policy: bool
    is_emerging_manager: bool
    first_vintage: int | None
    prior_funds: int
    best_tvpi: float | None


async def load_fund(conn: Conn, fund_id: uuid.UUID) -> FundRecord:
    """The fund and its track record summary (NotFound when missing or another org's)."""
    cur = await conn.execute(
        """select f.id, f.org_id, f.name, f.status, f.strategy, f.target_size_musd::float8,
             f.geographies, f.sectors, f.thesis, f.has_esg_policy, f.is_emerging_manager,
             min(t.vintage_year), count(t.id), max(t.tvpi)::float8
           from public.funds f left join public.fund_track_records t on t.fund_id = f.id
           where f.id = %(id)s group by f.id""",
        {"id": fund_id},
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound("fund", fund_id)
    return FundRecord(
        id=row[0],
        org_id=row[1],
        name=row[2],
        status=row[3],
        strategy=row[4],
        target_size_musd=row[5],
        geographies=row[6],
        sectors=row[7],
        thesis=row[8],
        has_esg_policy=row[9],
        is_emerging_manager=row[10],
        first_vintage=row[11],
        prior_funds=int(row[12]),
        best_tvpi=row[13],
    )


async def thesis_vector(
    conn: Conn, fund: FundRecord, embeddings: EmbeddingProvider
) -> list[float] | None:
    """The thesis's vector for the active model: stored, or embedded now and stored."""
    if not fund.thesis or not fund.thesis.strip():
        return None
    digest = text_hash(fund.thesis)
    cur = await conn.execute(
        "select embedding::text from public.embeddings where entity_type = 'fund_thesis'"
        " and entity_id = %(id)s and model = %(model)s and text_hash = %(hash)s",
        {"id": fund.id, "model": embeddings.model, "hash": digest},
    )
    row = await cur.fetchone()
    if row is not None:
        return [float(x) for x in row[0].strip("[]").split(",")]
    try:
        # A stored text, embedded as the indexer embeds theses (Voyage's input_type
        # "document"), so the stored vector does not depend on which of the two ran first.
        vector = (await embeddings.embed_documents([fund.thesis]))[0]
    except EmbeddingUnavailable:
        logger.warning("thesis_embedding_unavailable", extra={"fund_id": str(fund.id)})
        return None
    pending = PendingText(
        entity_type="fund_thesis",
        entity_id=fund.id,
        org_id=fund.org_id,
        text=fund.thesis,
        text_hash=digest,
    )
    await upsert_embeddings(
        conn, model=embeddings.model, dims=embeddings.dims, rows=[(pending, vector)]
    )
    return vector


def require_published(fund: FundRecord) -> tuple[str, float]:
    """The fund's strategy and target size; a draft (or incomplete) fund is never matched."""
    if fund.status == "draft" or fund.strategy is None or fund.target_size_musd is None:
        raise Conflict(
            "Draft funds are never matched. Publish the fund (it needs a strategy and a target"
            " size) to see its matches."
        )
    return fund.strategy, float(fund.target_size_musd)


def facts_for(
    fund: FundRecord,
    *,
    today: date,
    vector: list[float] | None = None,
    model: str = "",
    dims: int = 0,
) -> FundFacts:
    """The fund as the rules see it."""
    strategy, target = require_published(fund)
    return FundFacts(
        id=fund.id,
        org_id=fund.org_id,
        name=fund.name,
        status=fund.status,
        strategy=strategy,
        target_size_musd=target,
        geographies=list(fund.geographies),
        sectors=list(fund.sectors),
        has_esg_policy=fund.has_esg_policy,
        is_emerging_manager=fund.is_emerging_manager,
        track_years=max(0, today.year - fund.first_vintage) if fund.first_vintage else 0,
        prior_funds=fund.prior_funds,
        best_tvpi=fund.best_tvpi,
        thesis=fund.thesis,
        thesis_vector=vector,
        model=model,
        dims=dims,
    )


async def _weights(conn: Conn, kind: str) -> queries.Weights:
    weights = await queries.active_weights(conn, kind)
    if weights is None:
        raise Conflict(f"No active {kind} weights: a platform admin must set them.")
    return weights


async def compute_matches(
    conn: Conn,
    fund_id: uuid.UUID,
    *,
    embeddings: EmbeddingProvider,
    now: datetime,
    keep: int = KEEP_PER_FUND,
) -> MatchRun:
    """Score the fund against every LP and store its best matches."""
    record = await load_fund(conn, fund_id)
    require_published(record)
    vector = await thesis_vector(conn, record, embeddings)
    fund = facts_for(
        record, today=now.date(), vector=vector, model=embeddings.model, dims=embeddings.dims
    )
    rule_w = await _weights(conn, "rule")
    blend_w = await _weights(conn, "blend")
    rules = build_rules(fund)
    signal = await queries.collaborative_signal(conn, fund.strategy)
    rules.factors["collaborative"] = collaborative_expr(signal)
    order = final_score_order(rule_w.weights, blend_w.weights)
    rows = await queries.score_candidates(
        conn,
        filters=rules.where(),
        factors=rules.factors,
        order=order,
        params=rules.params,
        join_vectors=vector is not None,
        limit=keep,
    )
    kept = {r["org_id"] for r in rows}
    pinned = [lp for lp in await queries.pinned_lps(conn, fund_id=fund.id) if lp not in kept]
    if pinned:
        # LPs the organisation acted on are rescored even when they no longer pass a hard
        # filter (their row must not stay expired); the filters they fail are recorded.
        rows += await queries.score_candidates(
            conn,
            filters=sql.SQL("true"),
            factors={**rules.factors, "failed": rules.failed()},
            order=order,
            params=rules.params,
            join_vectors=vector is not None,
            limit=len(pinned),
            only=pinned,
        )
    commitments = await queries.commitments_in(
        conn, lp_ids=[r["org_id"] for r in rows], strategies=fund.strategy_set
    )
    matches = [match_row(fund, r, commitments, rule_w, blend_w, now) for r in rows]
    await queries.upsert_matches(conn, matches)
    removed = await queries.remove_stale(conn, fund_id=fund.id, keep=[r["org_id"] for r in rows])
    # Counting what each filter excludes scans every LP again: only when nothing passed.
    passing = int(rows[0]["passing"]) if rows and "failed" not in rows[0] else 0
    exclusions = []
    if not passing:
        counts = await queries.exclusion_counts(conn, filters=rules.filters, params=rules.params)
        exclusions = _exclusions(counts)
    return MatchRun(
        fund_id=fund.id,
        candidates=passing,
        stored=len(matches),
        removed=removed,
        exclusions=exclusions,
        semantic_available=vector is not None,
        computed_at=now,
    )


def _exclusions(counts: dict[str, int]) -> list[Exclusion]:
    """Hard filters by how many LPs each excludes, most first (those excluding none left out)."""
    items = [
        Exclusion(filter=name, label=HARD_FILTER_LABELS[name], excluded=counts[name])
        for name in HARD_FILTER_LABELS
        if counts.get(name)
    ]
    return sorted(items, key=lambda e: -e.excluded)


def _candidate(row: dict[str, Any], commitments: dict[uuid.UUID, int]) -> Candidate:
    """A scored row (SQL or arrays) as the explainer's candidate."""
    named = {f.name for f in fields(Candidate)} - {"scores", "commitments_in_strategy"}
    return Candidate(
        **{name: row[name] for name in named},
        scores={f: (None if row[f] is None else float(row[f])) for f in FACTORS},
        commitments_in_strategy=commitments.get(row["org_id"], 0),
    )


def match_row(
    fund: FundFacts,
    row: dict[str, Any],
    commitments: dict[uuid.UUID, int],
    rule_w: queries.Weights,
    blend_w: queries.Weights,
    now: datetime,
) -> dict[str, Any]:
    """A scored LP as a stored match: breakdown, blended score, label, reasons, versions."""
    candidate = _candidate(row, commitments)
    rule_score, entries = breakdown(fund, candidate, rule_w.weights)
    semantic = candidate.scores["semantic"]
    collaborative = row.get("collaborative")
    components = {"rule": rule_score, "semantic": semantic, "debate": None,
                  "collaborative": collaborative}  # fmt: skip
    score = blend(components, blend_w.weights)
    failed = [HARD_FILTER_LABELS[name] for name in row.get("failed") or []]
    label = "avoid" if failed else label_for(score)
    explanation, points, concerns = compose(fund, candidate, entries, score, label)
    if failed:
        concerns = [f"No longer passes the hard filters: {'; '.join(failed)}."] + concerns[:4]
    return {
        "fund_id": fund.id,
        "org_id": fund.org_id,
        "lp_org_id": candidate.org_id,
        "score": score,
        "rule_score": rule_score,
        "semantic_score": None if semantic is None else round(semantic, 2),
        "collaborative_score": None if collaborative is None else round(collaborative, 2),
        "score_breakdown": {
            "analysis": ANALYSIS_KIND,
            "factors": entries,
            "rule_weights_version": rule_w.version,
            "blend_weights_version": blend_w.version,
            "blend": {k: v for k, v in blend_w.weights.items() if k in RULE_BLENDED},
            "embedding_model": fund.model if fund.thesis_vector is not None else None,
            "excluded_by": failed,
        },
        "explanation": explanation,
        "talking_points": points,
        "concerns": concerns,
        "recommendation": label,
        "confidence": confidence_for(candidate),
        "weights_version": rule_w.version,
        "model_version": MODEL_VERSION,
        "computed_at": now,
    }


async def ensure_fresh(
    conn: Conn,
    fund_id: uuid.UUID,
    *,
    embeddings: EmbeddingProvider,
    now: datetime,
    can_write: bool,
    status: str,
) -> tuple[MatchRun | None, queries.Freshness]:
    """Recompute a published fund's matches when there are none yet or some expired.

    Returns the run (None when nothing was computed) and the stored matches' freshness
    afterwards, so a caller listing them need not ask again.
    """
    freshness = await queries.freshness(conn, fund_id=fund_id)
    total, expired, _ = freshness
    if status == "draft" or not can_write or (total and not expired):
        return None, freshness
    run = await compute_matches(conn, fund_id, embeddings=embeddings, now=now)
    return run, await queries.freshness(conn, fund_id=fund_id)


async def why_no_matches(conn: Conn, fund_id: uuid.UUID, *, today: date) -> list[Exclusion]:
    """Which hard filter excludes how many LPs, for a published fund."""
    record = await load_fund(conn, fund_id)
    if record.status == "draft" or record.strategy is None or record.target_size_musd is None:
        return []
    rules = build_rules(facts_for(record, today=today))
    return _exclusions(
        await queries.exclusion_counts(conn, filters=rules.filters, params=rules.params)
    )
