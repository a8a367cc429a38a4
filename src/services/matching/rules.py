"""The matching rules of PRODUCT.md ("Matching — the decisions") as SQL over the LP base.

Hard filters and factor scores are SQL expressions over `market.lp_profiles p` (and the LP's
mandate vector `v`), built from one fund's facts, so a fund is scored against every LP in one
query and Postgres keeps only the best. Every fund fact enters as a bound parameter or a
literal composed by psycopg; nothing is pasted into SQL text.

Factor scores are 0–100, or NULL when the LP or the fund lacks the data (the rule score then
counts that factor as 50 and the breakdown marks it "no data").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Final

from psycopg import sql

from src.services.taxonomy import geography_match_set, strategy_parent

FACTORS: Final = ("sector", "size", "track_record", "esg", "semantic")
FACTOR_LABELS: Final = {
    "sector": "Sector fit",
    "size": "Size fit",
    "track_record": "Track record",
    "esg": "ESG",
    "semantic": "Thesis ↔ mandate",
}
NO_DATA_SCORE: Final = 50.0

# Cosine similarity → 0–100 per embedding model: at `low` or below a thesis and a mandate share
# nothing, at `high` or above they describe the same programme. Measured on the demo market's
# hand-written pairs; each model spreads its cosines differently.
SIMILARITY_RANGE: Final = {
    "all-minilm-l6-v2-int8": (0.15, 0.65),
    "voyage-finance-2": (0.45, 0.85),
}
DEFAULT_SIMILARITY_RANGE: Final = (0.2, 0.8)

# An LP's typical cheque as a share of the fund: 1–10 % is comfortable for both sides.
CHECK_SHARE_IDEAL: Final = (0.01, 0.10)
CHECK_SHARE_CEILING: Final = 0.40

HARD_FILTER_LABELS: Final = {
    "active": "LP marked inactive",
    "strategy": "Strategy not in the LP's mandate",
    "geography": "No geography in common",
    "fund_size": "Fund size outside the LP's range",
    "track_record": "Track record shorter than the LP's minimum",
    "esg": "LP requires an ESG policy",
}


@dataclass(frozen=True)
class FundFacts:
    """What matching needs to know about one fund."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    status: str
    strategy: str
    target_size_musd: float
    geographies: list[str]
    sectors: list[str]
    has_esg_policy: bool
    is_emerging_manager: bool
    track_years: int
    prior_funds: int
    best_tvpi: float | None
    thesis: str | None = None
    thesis_vector: list[float] | None = None
    model: str = ""
    dims: int = 0

    @property
    def performance_score(self) -> float | None:
        """Prior funds' best TVPI as 0–100: 1.0x is 0, 2.5x or better is 100."""
        if self.best_tvpi is None:
            return None
        return max(0.0, min(100.0, (self.best_tvpi - 1.0) / 1.5 * 100))

    @property
    def strategy_set(self) -> list[str]:
        """Strategies an LP may list to accept this fund: its own, and its parent."""
        return sorted({self.strategy, strategy_parent(self.strategy)})


@dataclass
class Rules:
    """One fund's hard filters and factor expressions, with their bound values."""

    filters: dict[str, sql.Composable] = field(default_factory=dict)
    factors: dict[str, sql.Composable] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)

    def where(self, *, without: str | None = None) -> sql.Composable:
        """All hard filters AND-ed (optionally minus one)."""
        return sql.SQL(" and ").join(c for n, c in self.filters.items() if n != without)

    def failed(self) -> sql.Composable:
        """The names of the hard filters an LP fails, as a text array (empty when it passes)."""
        return sql.SQL("array_remove(array[{}]::text[], null)").format(
            sql.SQL(", ").join(
                sql.SQL("case when not ({}) then {} end").format(c, sql.Literal(n))
                for n, c in self.filters.items()
            )
        )


def _f(expr: str) -> sql.Composable:
    return sql.SQL(expr)


def build_rules(fund: FundFacts) -> Rules:
    """The hard filters and factor score expressions for one fund."""
    rules = Rules()
    rules.params |= {
        "target": fund.target_size_musd,
        "strategies": fund.strategy_set,
        "geographies": geography_match_set(fund.geographies),
        "track_years": fund.track_years,
    }
    # Missing LP data never excludes: every filter passes when the LP's side is unknown.
    rules.filters = {
        "active": _f("p.is_active"),
        "strategy": _f("(cardinality(p.strategies) = 0 or p.strategies && %(strategies)s::text[])"),
        # A fund with no geography, or a global one, shares a geography with every LP.
        "geography": _f(
            "(cardinality(p.geographies) = 0 or p.geographies && %(geographies)s::text[])"
            if fund.geographies and "global" not in fund.geographies
            else "true"
        ),
        "fund_size": _f(
            "(p.fund_size_min_musd is null or p.fund_size_min_musd <= %(target)s::numeric)"
            " and (p.fund_size_max_musd is null or p.fund_size_max_musd >= %(target)s::numeric)"
        ),
        "track_record": _f(
            "(p.min_track_record_years is null or p.min_track_record_years <= %(track_years)s)"
        ),
        "esg": _f("true" if fund.has_esg_policy else "p.esg_required is not true"),
    }
    rules.factors = {
        "sector": _sector(fund),
        "size": _size(),
        "track_record": _track_record(fund),
        "esg": _f(
            "case when p.esg_required is null then null::float8 when p.esg_required then 100.0"
            f" else {80.0 if fund.has_esg_policy else 60.0} end"
        ),
        "semantic": _semantic(fund, rules),
        # Not a factor: the raw cosine, for the breakdown's facts.
        "similarity": cosine_expr(fund),
    }
    return rules


def _sector(fund: FundFacts) -> sql.Composable:
    if not fund.sectors:
        return _f("null::float8")
    covered = sql.SQL(" + ").join(
        sql.SQL("(p.sectors @> array[{}]::text[])::int").format(sql.Literal(s))
        for s in fund.sectors
    )
    return sql.SQL(
        "case when cardinality(p.sectors) = 0 then null::float8 else 100.0 * ({}) / {} end"
    ).format(covered, sql.Literal(len(fund.sectors)))


def _size() -> sql.Composable:
    # Where the fund sits in the LP's fund-size range (log scale; the middle scores 100, an
    # edge 0), and how the LP's typical cheque (geometric middle of its range) compares with
    # the fund: 1-10 % scores 100, less falls to 0 linearly, more falls to 0 at 40 %. The size
    # factor is the mean of the parts that are known. Plain expressions (no subqueries): this
    # runs for every LP.
    centrality = """(case
        when p.fund_size_min_musd > 0 and p.fund_size_max_musd > p.fund_size_min_musd
        and %(target)s::float8 > 0
        then greatest(0.0, least(100.0, 100.0 * (1 - abs(2 * ln(%(target)s::float8
             / p.fund_size_min_musd::float8) / ln(p.fund_size_max_musd::float8
             / p.fund_size_min_musd::float8) - 1))))
        when p.fund_size_min_musd > 0 and p.fund_size_max_musd = p.fund_size_min_musd
        then 100.0 end)"""
    share = """((case when p.check_size_min_musd > 0 and p.check_size_max_musd > 0
        then sqrt(p.check_size_min_musd::float8 * p.check_size_max_musd::float8)
        else coalesce(p.check_size_max_musd, p.check_size_min_musd)::float8 end)
        / nullif(%(target)s::float8, 0))"""
    lo, hi, ceiling = CHECK_SHARE_IDEAL[0], CHECK_SHARE_IDEAL[1], CHECK_SHARE_CEILING
    cheque = f"""(case when {share} is null then null::float8
        when {share} < {lo} then 100.0 * {share} / {lo}
        when {share} <= {hi} then 100.0
        else greatest(0.0, 100.0 * (1 - ({share} - {hi}) / ({ceiling} - {hi}))) end)"""
    return _f(
        f"(case when {centrality} is null then {cheque} when {cheque} is null then {centrality}"
        f" else ({centrality} + {cheque}) / 2 end)"
    )


def _track_record(fund: FundFacts) -> sql.Composable:
    # How far the fund clears the LP's minimum (60 at the minimum, +10 a year), averaged with
    # the prior funds' performance when it is known.
    performance = fund.performance_score
    margin = "least(100.0, 60.0 + 10.0 * (%(track_years)s - p.min_track_record_years))"
    if performance is None:
        return _f(f"case when p.min_track_record_years is null then null::float8 else {margin} end")
    return sql.SQL(
        "case when p.min_track_record_years is null then {perf} else ({margin} + {perf}) / 2 end"
    ).format(perf=sql.Literal(round(performance, 4)), margin=sql.SQL(margin))


def _semantic(fund: FundFacts, rules: Rules) -> sql.Composable:
    if fund.thesis_vector is None or not fund.model:
        return _f("null::float8")
    low, high = SIMILARITY_RANGE.get(fund.model, DEFAULT_SIMILARITY_RANGE)
    rules.params |= {"thesis": fund.thesis_vector, "model": fund.model}
    # (greatest/least skip NULLs, so an LP without a vector is caught first.)
    return sql.SQL(
        "case when v.embedding is null then null::float8 else"
        " greatest(0.0, least(100.0, 100.0 * ({cosine} - {low}) / ({span}))) end"
    ).format(cosine=cosine_expr(fund), low=sql.Literal(low), span=sql.Literal(high - low))


def cosine_expr(fund: FundFacts) -> sql.Composable:
    """Cosine similarity of the LP's mandate vector and the fund's thesis vector."""
    if fund.thesis_vector is None:
        return _f("null::float8")
    return sql.SQL(
        "(1 - ((v.embedding::extensions.vector({dims})) <=> %(thesis)s::extensions.vector({dims})))"
    ).format(dims=sql.Literal(fund.dims))


def final_score_order(
    rule_weights: dict[str, float], blend_weights: dict[str, float]
) -> sql.Composable:
    """The final score of a scored row as SQL (as `bulk.blended` computes it with arrays).

    The rule score, and the semantic and collaborative components where present, blended.
    """
    rule = sql.SQL("(0.0 + {})").format(
        sql.SQL(" + ").join(
            sql.SQL("{w} * coalesce(s.{f}, 50.0)").format(
                w=sql.Literal(float(rule_weights.get(f, 0)) / 100), f=sql.Identifier(f)
            )
            for f in FACTORS
        )
    )
    wr, ws, wc = (float(blend_weights.get(k, 0)) for k in ("rule", "semantic", "collaborative"))
    return sql.SQL(
        "coalesce(({wr} * {rule}"
        " + case when s.semantic is null then 0.0 else {ws} * s.semantic end"
        " + case when s.collaborative is null then 0.0 else {wc} * s.collaborative end)"
        " / nullif({wr} + case when s.semantic is null then 0.0 else {ws} end"
        " + case when s.collaborative is null then 0.0 else {wc} end, 0), {rule}) desc"
    ).format(rule=rule, wr=sql.Literal(wr), ws=sql.Literal(ws), wc=sql.Literal(wc))


def collaborative_expr(signal: dict[str, float]) -> sql.Composable:
    """The LP's segment's response rate to this fund's segment (0–100), or NULL."""
    if not signal:
        return sql.SQL("null::float8")
    return sql.SQL("(case p.lp_type {} end)::float8").format(
        sql.SQL(" ").join(
            sql.SQL("when {} then {}").format(sql.Literal(t), sql.Literal(float(r)))
            for t, r in sorted(signal.items())
        )
    )
