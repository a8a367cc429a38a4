"""Demo LPs: type, size, appetite and ranges consistent with each other, and contacts."""

from __future__ import annotations

import math
import re
import uuid
from typing import TYPE_CHECKING, Any

from src.demo import names
from src.demo.shapes import (
    DEMO_DOMAIN,
    EMERGING_PROGRAMME_SHARE,
    HQ_REGION_WEIGHTS,
    LP_SHAPE,
    LP_STRATEGY_WEIGHTS,
    LP_TYPE_WEIGHTS,
    MIN_TRACK_RECORD,
    Lp,
    nice,
)
from src.demo.texts import LpFacts, lp_description, mandate_text
from src.services.taxonomy import (
    COUNTRY_REGION,
    LP_TYPES,
    SECTORS,
    regions_covering,
    strategy_parent,
)

if TYPE_CHECKING:
    from src.demo.market import _Builder


def make_lp(b: _Builder, index: int) -> Lp:
    """One LP organisation with its profile and contacts; the first eleven cover every type."""
    lp_type = b.pick(LP_TYPE_WEIGHTS) if index >= len(LP_TYPES) else LP_TYPES[index]
    hq_region = b.pick(HQ_REGION_WEIGHTS)
    place, country = b.rng.choice([p for p in names.PLACES if COUNTRY_REGION[p[1]] == hq_region])
    name = _name(b, lp_type, place)
    median, spread, (alloc_low, alloc_high), positions = LP_SHAPE[lp_type]
    aum = min(1_000_000.0, max(20.0, round(median * math.exp(b.rng.gauss(0, spread * 0.6)), 1)))
    alloc = round(b.rng.uniform(alloc_low, alloc_high), 1)
    typical = max(0.5, aum * alloc / 100 / positions)
    check = (
        nice(typical * b.rng.uniform(0.3, 0.6)),
        nice(typical * b.rng.uniform(1.5, 2.5)),
    )
    fund_low = nice(max(20.0, check[1] * b.rng.uniform(3, 8)))
    fund_size = (fund_low, min(1_000_000.0, nice(fund_low * b.rng.uniform(8, 40))))
    strategies = _strategies(b, lp_type)
    geographies = _geographies(b, hq_region, lp_type)
    emerging = b.rng.random() < EMERGING_PROGRAMME_SHARE.get(lp_type, 0.1)
    track = 0 if emerging else MIN_TRACK_RECORD.get(lp_type, 2)
    track = max(0, track + b.rng.randint(-2, 2))
    esg_p = {"europe": 0.6, "nordics": 0.8}.get(hq_region, 0.25) + (
        0.2 if lp_type == "foundation" else 0
    )
    sector_count = b.rng.choice((0, 0, 1, 2, 3))
    facts = LpFacts(
        name=name, lp_type=lp_type, aum=aum, allocation_pct=alloc, strategies=tuple(strategies),
        regions=tuple(geographies), sectors=tuple(b.rng.sample(SECTORS, k=sector_count)),
        check_min=check[0], check_max=check[1], min_track_record=track,
        esg_required=b.rng.random() < esg_p, emerging_manager=emerging,
        actively_looking=b.rng.random() < 0.6, home_region=hq_region,
    )  # fmt: skip
    org_id = b.new_id()
    domain = re.sub(r"[^a-z]+", "", name.lower())[:24] + f"{index}.{DEMO_DOMAIN}"
    website = f"https://{domain}" if b.rng.random() < 0.85 else None
    b.add("organizations", org_id, name, False, True, website, country, b.days_ago(60, 2000))
    for _ in range(b.rng.choice((0, 1, 1, 2, 2, 3))):
        b.person(org_id, domain, b.rng.choice(names.LP_TITLES))
    _profile(b, org_id, facts, place, fund_size)
    return Lp(
        org_id, facts, frozenset(c for g in geographies for c in regions_covering(g)), fund_size
    )


def _name(b: _Builder, lp_type: str, place: str) -> str:
    patterns = list(names.LP_NAME_PATTERNS[lp_type])
    b.rng.shuffle(patterns)
    words = {
        "place": place,
        "surname": b.rng.choice(names.LAST_NAMES),
        "word": b.rng.choice(names.FIRM_WORDS),
    }
    return b.unique_name([p.format(**words) for p in patterns])


def _strategies(b: _Builder, lp_type: str) -> list[str]:
    weights = LP_STRATEGY_WEIGHTS[lp_type]
    chosen: list[str] = []
    for _ in range(b.rng.choice((1, 2, 2, 3, 3, 4))):
        code = b.pick(weights)
        parent = strategy_parent(code)
        if code not in chosen and parent not in chosen:
            chosen = [c for c in chosen if strategy_parent(c) != code] + [code]
    return chosen


def _geographies(b: _Builder, hq_region: str, lp_type: str) -> list[str]:
    if b.rng.random() < (0.4 if lp_type in ("sovereign_wealth", "fund_of_funds") else 0.12):
        return ["global"]
    regions = [hq_region]
    for _ in range(b.rng.choice((0, 0, 1, 2))):
        other = b.pick(HQ_REGION_WEIGHTS)
        if other not in regions:
            regions.append(other)
    return regions


def _profile(
    b: _Builder, org_id: uuid.UUID, lp: LpFacts, place: str, fund_size: tuple[float, float]
) -> None:
    def maybe(value: Any, p_missing: float) -> Any:
        return None if b.rng.random() < p_missing else value

    has_checks, has_sizes = b.rng.random() > 0.08, b.rng.random() > 0.1
    verified = maybe(b.days_ago(5, 900), 0.12)
    b.add("lp_profiles", org_id, lp.lp_type, maybe(lp.aum, 0.04),
             maybe(lp.allocation_pct, 0.15),
             list(lp.strategies), list(lp.regions), list(lp.sectors),
             lp.check_min if has_checks else None, lp.check_max if has_checks else None,
             fund_size[0] if has_sizes else None, fund_size[1] if has_sizes else None,
             maybe(lp.min_track_record, 0.3), maybe(lp.esg_required, 0.1),
             maybe(lp.emerging_manager, 0.1), maybe(lp.actively_looking, 0.2), lp.regions[0],
             maybe(mandate_text(b.rng, lp), 0.05), lp_description(lp, place),
             verified)  # fmt: skip
