"""The market's past: LPs' commitments to other managers, and outcomes and pipelines of our funds.

Outcomes are drawn with a probability that rises with a latent fit, so the monthly retrain has a
signal to learn.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from src.demo import names
from src.demo.shapes import (
    DISMISS_REASONS,
    INVESTMENT_SOURCES,
    NEXT_STEPS,
    PIPELINE_STAGES,
    Fund,
    Lp,
    nice,
)
from src.services.taxonomy import COUNTRY_REGION, FUND_STRATEGIES, strategy_parent

if TYPE_CHECKING:
    from src.demo.market import _Builder  # noqa: F401


def commitments(b: _Builder, lps: list[Lp], manager_count: int) -> None:
    """Each LP's known commitments to funds of other managers, consistent with its strategies."""
    managers = []
    for _ in range(manager_count):
        strategy = b.rng.choice(FUND_STRATEGIES)
        word = b.rng.choice(names.FIRM_WORDS)
        managers.append((f"{word} {b.rng.choice(names.GP_SUFFIXES[strategy])}", strategy))
    by_parent: dict[str, list[tuple[str, str]]] = {}
    for entry in managers:
        by_parent.setdefault(strategy_parent(entry[1]), []).append(entry)
    for lp in lps:
        for _ in range(b.rng.choice((0, 0, 1, 2, 3, 4, 5, 6))):
            wanted = strategy_parent(b.rng.choice(lp.facts.strategies))
            manager, fund_strategy = b.rng.choice(by_parent.get(wanted) or managers)
            vintage = b.rng.randint(b.as_of.year - 14, b.as_of.year - 1)
            source = b.pick({k: v[0] for k, v in INVESTMENT_SOURCES.items()})
            amount = nice(b.rng.uniform(lp.facts.check_min, lp.facts.check_max))
            fund_name = f"{manager} Fund {names.roman(b.rng.randint(1, 9))}"
            committed = date(vintage, b.rng.randint(1, 12), b.rng.randint(1, 28))
            b.add("investments", b.new_id(), lp.org_id, None, fund_name, manager,
                     fund_strategy, vintage, amount, committed, source,
                     INVESTMENT_SOURCES[source][1])  # fmt: skip


def outcomes_and_pipeline(b: _Builder, funds: list[Fund], lps: list[Lp]) -> None:
    """Outcomes for funds past first close and pipelines for live ones, best fits first."""
    for fund in funds:
        if fund.status == "draft":
            continue
        pool = b.rng.sample(lps, k=min(len(lps), 150))
        ranked = sorted(pool, key=lambda lp: _fit(fund, lp) + b.rng.uniform(0, 0.35), reverse=True)
        if fund.status in ("first_close", "final_close", "closed"):
            for lp in ranked[: b.rng.randint(15, 35)]:
                _outcome(b, fund, lp)
        else:
            for lp in ranked[: b.rng.randint(6, 20)]:
                _pipeline(b, fund, lp, b.rng.choice(PIPELINE_STAGES))


def _outcome(b: _Builder, fund: Fund, lp: Lp) -> None:
    likely = _fit(fund, lp)
    roll = b.rng.random()
    if roll < 0.08 + 0.5 * likely:
        outcome, stage = "committed", "invested"
    elif roll < 0.3 + 0.5 * likely:
        outcome, stage = "declined_after_meeting", "lp_passed"
    elif roll < 0.75:
        outcome, stage = "declined_before_meeting", "lp_passed"
    else:
        outcome, stage = "no_response", "lp_reviewing"
    amount = (
        nice(b.rng.uniform(lp.facts.check_min, lp.facts.check_max))
        if outcome == "committed"
        else None
    )
    recorded = b.days_ago(30, 700)
    b.add(
        "match_outcomes",
        b.new_id(),
        fund.id,
        fund.org_id,
        lp.org_id,
        outcome,
        amount,
        None,
        b.rng.choice(fund.people),
        recorded,
    )
    _pipeline(b, fund, lp, stage, when=recorded)
    if outcome == "committed":
        b.add("investments", b.new_id(), lp.org_id, fund.id, _fund_name(fund),
                 fund.manager, fund.strategy,
                 fund.vintage, amount, recorded.date(), "manager_reported", 1.0)  # fmt: skip


def _pipeline(b: _Builder, fund: Fund, lp: Lp, stage: str, when: datetime | None = None) -> None:
    interest = {"gp_interested": "interested", "gp_passed": "not_interested"}.get(
        stage, None if stage == "recommended" else "pursuing")  # fmt: skip
    reason = b.rng.choice(DISMISS_REASONS) if interest == "not_interested" else None
    next_step = NEXT_STEPS.get(stage)
    b.add(
        "fund_lp_status",
        b.new_id(),
        fund.id,
        fund.org_id,
        lp.org_id,
        interest,
        reason,
        stage,
        next_step,
        None,
        when or b.days_ago(0, 90),
        b.rng.choice(fund.people),
    )


def _fund_name(fund: Fund) -> str:
    return f"{fund.manager} {fund.strategy.split('/')[-1].replace('_', ' ').title()} Fund"


def _fit(fund: Fund, lp: Lp) -> float:
    """A rough latent fit in 0..1: how plausible this LP is for this fund (drives outcomes)."""
    facts = lp.facts
    strategy = (
        1.0
        if fund.strategy in facts.strategies or strategy_parent(fund.strategy) in facts.strategies
        else 0.1
    )
    geography = (
        1.0
        if any(g in lp.covered or COUNTRY_REGION.get(g) in lp.covered for g in fund.geographies)
        else 0.3
    )
    size = 1.0
    if lp.fund_size is not None:
        size = 1.0 if lp.fund_size[0] <= fund.target <= lp.fund_size[1] else 0.3
    esg = 0.2 if facts.esg_required and not fund.esg else 1.0
    emerging = 1.2 if fund.emerging and facts.emerging_manager else (0.6 if fund.emerging else 1.0)
    return min(1.0, strategy * geography * size * esg * emerging)
