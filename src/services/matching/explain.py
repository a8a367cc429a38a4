"""Rule-based reasons: the breakdown's facts, the explanation, talking points and concerns.

Every sentence is built from this fund's and this LP's own facts and factor scores. Until the
debate agents run (issue 7) this is the whole analysis, labelled "rule-based" wherever shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from src.services.formatting import money
from src.services.matching.rules import (
    CHECK_SHARE_IDEAL,
    FACTOR_LABELS,
    FACTORS,
    NO_DATA_SCORE,
    FundFacts,
)
from src.services.taxonomy import (
    LP_TYPE_LABELS,
    STRATEGY_LABELS,
    geography_label,
)

ANALYSIS_KIND: Final = "rule-based"
LABEL_THRESHOLDS: Final = (("pursue", 75.0), ("investigate", 60.0), ("deprioritize", 40.0))


@dataclass(frozen=True)
class Candidate:
    """One LP that passed the hard filters, with its factor scores (None = no data)."""

    org_id: Any
    name: str
    lp_type: str
    hq_country: str | None
    aum_musd: float | None
    strategies: list[str]
    geographies: list[str]
    sectors: list[str]
    fund_size_min_musd: float | None
    fund_size_max_musd: float | None
    check_size_min_musd: float | None
    check_size_max_musd: float | None
    min_track_record_years: int | None
    esg_required: bool | None
    emerging_manager_program: bool | None
    actively_looking: bool | None
    data_quality_score: float
    last_verified_at: datetime | None
    scores: dict[str, float | None]
    commitments_in_strategy: int = 0
    similarity: float | None = None


def label_for(score: float) -> str:
    """The recommendation for a score: pursue, investigate, deprioritize or avoid."""
    for label, floor in LABEL_THRESHOLDS:
        if score >= floor:
            return label
    return "avoid"


def confidence_for(candidate: Candidate) -> float:
    """0–1: how much of the picture the data covers (factors with data, LP data quality)."""
    covered = sum(v is not None for v in candidate.scores.values()) / len(FACTORS)
    return round(min(1.0, 0.2 + 0.5 * covered + 0.3 * candidate.data_quality_score), 2)


def _sectors(codes: list[str]) -> str:
    return ", ".join(c.replace("_", " ") for c in codes)


def _strategy(code: str) -> str:
    return STRATEGY_LABELS.get(code, code).lower()


def _typical_check(c: Candidate) -> float | None:
    low, high = c.check_size_min_musd, c.check_size_max_musd
    if low and high:
        return float((low * high) ** 0.5)
    return high or low


def factor_facts(fund: FundFacts, c: Candidate, factor: str) -> list[str]:
    """The facts behind one factor's score, as short sentences."""
    score = c.scores[factor]
    if factor == "sector":
        if not fund.sectors:
            return ["The fund lists no sectors."]
        if not c.sectors:
            return [f"{c.name} lists no sector preferences."]
        shared = [s for s in fund.sectors if s in c.sectors]
        if shared:
            return [
                f"{c.name} invests in {_sectors(shared)}, of the fund's {_sectors(fund.sectors)}."
            ]
        return [f"{c.name} targets {_sectors(c.sectors)}; the fund is {_sectors(fund.sectors)}."]
    if factor == "size":
        facts = []
        if c.fund_size_min_musd is not None or c.fund_size_max_musd is not None:
            facts.append(
                f"Fund size range {money(c.fund_size_min_musd)}–{money(c.fund_size_max_musd)};"
                f" this fund targets {money(fund.target_size_musd)}."
            )
        check = _typical_check(c)
        if check and fund.target_size_musd > 0:
            share = check / fund.target_size_musd * 100
            facts.append(f"Typical cheque about {money(check)}, {share:.1f}% of the fund.")
        return facts or [f"{c.name} has no size ranges on record."]
    if factor == "track_record":
        record = (
            f"{fund.prior_funds} prior fund{'s' if fund.prior_funds != 1 else ''} over"
            f" {fund.track_years} year{'s' if fund.track_years != 1 else ''}"
            if fund.prior_funds
            else "A first-time fund (no prior funds)"
        )
        facts = [
            record + (f", best TVPI {fund.best_tvpi:.2f}x." if fund.best_tvpi is not None else ".")
        ]
        if c.min_track_record_years is not None:
            facts.append(f"{c.name} asks for at least {c.min_track_record_years} years.")
        else:
            facts.append(f"{c.name} states no minimum track record.")
        return facts
    if factor == "esg":
        if c.esg_required is None:
            return [f"No record of whether {c.name} requires ESG."]
        policy = "has an ESG policy" if fund.has_esg_policy else "has no ESG policy"
        need = "requires" if c.esg_required else "does not require"
        return [f"{c.name} {need} ESG; the fund {policy}."]
    if score is None:
        if not fund.thesis:
            return ["The fund has no thesis text to compare."]
        return [f"{c.name} has no mandate text indexed yet."]
    return [f"Thesis and mandate similarity {c.similarity:.2f} (cosine, {fund.model})."]


def breakdown(
    fund: FundFacts, c: Candidate, weights: dict[str, float]
) -> tuple[float, list[dict[str, Any]]]:
    """The rule score and one entry per factor (score, weight, contribution, facts)."""
    entries = []
    total = 0.0
    for factor in FACTORS:
        raw = c.scores[factor]
        score = NO_DATA_SCORE if raw is None else float(raw)
        weight = float(weights.get(factor, 0))
        contribution = weight * score / 100
        total += contribution
        entries.append(
            {
                "factor": factor,
                "label": FACTOR_LABELS[factor],
                "score": round(score, 1),
                "weight": weight,
                "contribution": round(contribution, 2),
                "no_data": raw is None,
                "facts": factor_facts(fund, c, factor),
            }
        )
    return round(total, 2), entries


def blend(components: dict[str, float | None], weights: dict[str, float]) -> float:
    """The final score: the components present, their weights rescaled to sum to 100."""
    present = {k: v for k, v in components.items() if v is not None and weights.get(k)}
    total_weight = sum(weights[k] for k in present)
    if not total_weight:
        # Only components weighted 0 are known: the rule score is the best estimate there is.
        return round(float(components.get("rule") or 0.0), 2)
    return round(sum(weights[k] * float(v) for k, v in present.items()) / total_weight, 2)


def _lp_intro(c: Candidate) -> str:
    kind = LP_TYPE_LABELS.get(c.lp_type, c.lp_type).lower()
    article = "an" if kind[:1] in "aeiou" else "a"
    where = f" based in {geography_label(c.hq_country)}" if c.hq_country else ""
    size = f" with {money(c.aum_musd)} under management" if c.aum_musd else ""
    return f"{c.name} is {article} {kind}{where}{size}"


def compose(
    fund: FundFacts, c: Candidate, entries: list[dict[str, Any]], score: float, label: str
) -> tuple[str, list[str], list[str]]:
    """The explanation (2–3 paragraphs), 3–5 talking points and 3–5 concerns."""
    known = [e for e in entries if not e["no_data"]]
    strong = sorted((e for e in known if e["score"] >= 70), key=lambda e: -e["contribution"])
    weak = sorted((e for e in known if e["score"] < 50), key=lambda e: e["score"])
    missing = [e for e in entries if e["no_data"]]
    points = _talking_points(fund, c, strong)
    concerns = _concerns(fund, c, weak, missing)
    # Short lists are topped up with the remaining factors' own facts, never with filler.
    _top_up(points, [f"{e['label']} ({e['score']:.0f}/100): {e['facts'][0]}" for e in entries])
    verified = (
        f"{c.name}'s data was last verified on {c.last_verified_at:%d %b %Y}; confirm the"
        " mandate is current."
        if c.last_verified_at
        else ""
    )
    _top_up(
        concerns,
        [
            f"{e['label']} is only moderate ({e['score']:.0f}/100): {e['facts'][-1]}"
            for e in known
            if 50 <= e["score"] < 70
        ]
        + [verified]
        + [f"{e['label']} rests on: {e['facts'][-1]}" for e in entries],
    )
    explanation = _explanation(fund, c, strong, weak, missing, score, label)
    return explanation, points[:5], concerns[:5]


def _talking_points(fund: FundFacts, c: Candidate, strong: list[dict[str, Any]]) -> list[str]:
    points = [f"{e['label']} ({e['score']:.0f}/100): {e['facts'][0]}" for e in strong]
    if c.commitments_in_strategy:
        points.append(
            f"{c.name} has {c.commitments_in_strategy} known commitment"
            f"{'s' if c.commitments_in_strategy != 1 else ''} to {_strategy(fund.strategy)}"
            " funds or their parent strategy."
        )
    if fund.is_emerging_manager and c.emerging_manager_program:
        points.append(
            f"{c.name} runs an emerging-manager programme, and this is an emerging manager."
        )
    if c.actively_looking:
        points.append(f"{c.name} is marked as actively looking for new commitments.")
    if fund.strategy in c.strategies or (fund.strategy.split("/")[0] in c.strategies):
        points.append(f"{_strategy(fund.strategy).capitalize()} is named in {c.name}'s mandate.")
    shared_geo = [g for g in fund.geographies if g in c.geographies]
    if shared_geo:
        points.append(f"Both focus on {', '.join(geography_label(g) for g in shared_geo)}.")
    points.append(_lp_intro(c) + ".")
    return points


def _concerns(
    fund: FundFacts, c: Candidate, weak: list[dict[str, Any]], missing: list[dict[str, Any]]
) -> list[str]:
    concerns = [f"{e['label']} is weak ({e['score']:.0f}/100): {e['facts'][-1]}" for e in weak]
    concerns += [f"No data for {e['label'].lower()}: {e['facts'][-1]}" for e in missing]
    check = _typical_check(c)
    if check and fund.target_size_musd > 0 and check / fund.target_size_musd < CHECK_SHARE_IDEAL[0]:
        concerns.append(f"A typical {money(check)} cheque would be under 1% of the fund.")
    if c.data_quality_score < 0.6:
        concerns.append(
            f"{c.name}'s profile is only {c.data_quality_score:.0%} complete and current;"
            " verify before reaching out."
        )
    if c.actively_looking is False:
        concerns.append(f"{c.name} is not marked as actively looking for new commitments.")
    if fund.is_emerging_manager and c.emerging_manager_program is False:
        concerns.append(f"{c.name} has no emerging-manager programme.")
    if c.last_verified_at is None:
        concerns.append(f"{c.name}'s data has never been verified.")
    concerns.append(
        "This is a rule-based analysis; run the full analysis for the bull and bear debate."
    )
    return concerns


VERDICTS: Final = {
    "pursue": "A strong fit on the data we hold: shortlist and prepare a tailored approach.",
    "investigate": "A plausible fit: check the concerns below before committing time.",
    "deprioritize": "A weak fit: keep on the list only if you have a warm introduction.",
    "avoid": "A poor fit on the data we hold: better LPs are likely elsewhere.",
}


def _explanation(
    fund: FundFacts,
    c: Candidate,
    strong: list[dict[str, Any]],
    weak: list[dict[str, Any]],
    missing: list[dict[str, Any]],
    score: float,
    label: str,
) -> str:
    top = ", ".join(e["label"].lower() for e in strong[:2]) or "no single factor"
    first = (
        f"{_lp_intro(c)}. Against {fund.name} it scores {score:.0f}/100 ({label}),"
        f" carried by {top}."
    )
    low = ", ".join(e["label"].lower() for e in weak[:2])
    second = (f"The weaker side is {low}." if low else "No factor scores below 50.") + (
        f" {len(missing)} factor{'s have' if len(missing) != 1 else ' has'} no data and"
        " count as 50."
        if missing
        else ""
    )
    return "\n\n".join([first, second, VERDICTS[label]])


def _top_up(items: list[str], extra: list[str]) -> None:
    """Add items from `extra` (skipping blanks and repeats) until there are three."""
    for item in extra:
        if len(items) >= 3:
            return
        if item and item not in items:
            items.append(item)
