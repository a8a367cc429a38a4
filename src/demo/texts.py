"""Mandate and thesis texts for the demo market, composed from the facts of each LP or fund.

Each text is built from the entity's own strategies, regions, sectors, sizes and constraints,
choosing among phrasings that say different things (a home bias, a ticket cap, a re-up policy),
so two LPs of the same type read differently and semantic search has substance to work on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from src.demo.names import roman
from src.services.taxonomy import LP_TYPE_LABELS, REGION_LABELS, STRATEGY_LABELS, geography_label


@dataclass(frozen=True)
class LpFacts:
    """What a mandate may mention about an LP."""

    name: str
    lp_type: str
    aum: float
    allocation_pct: float
    strategies: tuple[str, ...]
    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    check_min: float
    check_max: float
    min_track_record: int
    esg_required: bool
    emerging_manager: bool
    actively_looking: bool
    home_region: str


@dataclass(frozen=True)
class FundFacts:
    """What a thesis may mention about a fund."""

    manager: str
    strategy: str
    geographies: tuple[str, ...]
    sectors: tuple[str, ...]
    target_size: float
    fund_number: int


OPENINGS = {
    "public_pension": [
        "{name} invests on behalf of public-sector members; private markets are {pct}% of a ${aum} portfolio.",
        "As a defined-benefit plan with long-dated liabilities, {name} targets {pct}% in private markets.",
        "The plan's board approved a {pct}% private markets target, roughly ${pm} of ${aum} in assets.",
    ],
    "corporate_pension": [
        "{name} is de-risking its liabilities but keeps a {pct}% private markets sleeve for return-seeking assets.",
        "The sponsor's plan holds ${aum}; its private allocation of {pct}% is run by a small in-house team.",
    ],
    "endowment": [
        "{name} follows a perpetual-horizon model with {pct}% in illiquid assets and a high tolerance for J-curves.",
        "The endowment supports university spending of about 5% a year and keeps {pct}% in private funds.",
        "An endowment-model investor: {pct}% private markets, concentrated in a few high-conviction managers.",
    ],
    "foundation": [
        "{name} funds its grant-making from a ${aum} portfolio with {pct}% in private markets.",
        "The foundation seeks long-term real returns to sustain grants and keeps {pct}% in private funds.",
    ],
    "family_office": [
        "{name} manages family capital of about ${aum} and can move quickly, without an investment committee calendar.",
        "A single-family office with a {pct}% private allocation and a preference for direct relationships with GPs.",
        "A multi-family office pooling client capital; private markets are {pct}% of its ${aum} platform.",
    ],
    "sovereign_wealth": [
        "{name} invests national savings of ${aum} across generations; private markets are {pct}% of the portfolio.",
        "A sovereign investor with a mandate to diversify away from commodity revenues through private markets.",
    ],
    "insurance": [
        "{name} invests its general account under capital charges, keeping private markets at {pct}% of ${aum}.",
        "The insurer favours income-generating private assets that match its liabilities.",
    ],
    "fund_of_funds": [
        "{name} builds diversified programmes for smaller institutions; it allocates ${pm} across primaries and secondaries.",
        "A fund-of-funds manager whose clients expect access to managers they could not reach alone.",
    ],
    "bank": [
        "{name} invests through its private banking arm, offering feeder access to wealthy clients.",
        "The bank's principal investment desk commits balance sheet capital of about ${pm} to private funds.",
    ],
    "ria": [
        "{name} advises high-net-worth clients and builds private markets sleeves through feeder vehicles.",
        "A registered adviser adding semi-liquid and drawdown private funds to client portfolios.",
    ],
    "other": [
        "{name} is a non-profit investor with a ${aum} reserve fund and a {pct}% private markets budget.",
        "A hospital system investing its operating reserves; private markets are {pct}% of the pool.",
    ],
}

STRATEGY_VIEWS = {
    "private_equity": [
        "Core private equity exposure spans buyouts and growth equity across the cycle.",
        "Private equity is the largest sleeve, with a tilt to managers who create value operationally.",
    ],
    "private_equity/buyout": [
        "Favours lower mid-market control buyouts of companies with $10-50m EBITDA and modest leverage.",
        "Prefers large-cap buyout managers with scale, repeatable sourcing and co-investment flow.",
        "Looks for buy-and-build strategies in fragmented industries, where multiple expansion is earned.",
    ],
    "private_equity/growth": [
        "Backs growth equity in profitable, founder-led companies, usually as a minority investor.",
        "Growth equity is a priority: companies growing 30%+ a year with little or no leverage.",
    ],
    "venture": [
        "Venture exposure is built across stages with a preference for specialist firms.",
        "Allocates to venture selectively, accepting dispersion for access to top-quartile firms.",
    ],
    "venture/early": [
        "Backs seed and Series A managers with concentrated portfolios and partner-level involvement.",
        "Early-stage venture is a deliberate bet: small funds, first cheques, reserves for follow-ons.",
        "Seeks pre-seed and seed funds led by former operators and technical founders.",
    ],
    "venture/late": [
        "Prefers late-stage venture and pre-IPO rounds with visible revenue and a path to liquidity.",
        "Growth-stage venture is favoured over seed, to limit loss ratios and shorten duration.",
    ],
    "private_credit": [
        "Private credit is used for yield and downside protection across senior and junior lending.",
        "Credit funds replace part of the fixed-income book; floating-rate loans are preferred.",
    ],
    "private_credit/direct_lending": [
        "Wants senior secured direct lending to sponsor-backed mid-market companies with floating rates.",
        "Direct lending is a core income allocation; unlevered first-lien strategies are preferred.",
    ],
    "private_credit/mezzanine": [
        "Invests in mezzanine and structured capital with equity kickers for higher returns.",
        "Opportunistic about junior credit and rescue financing when spreads widen.",
    ],
    "real_assets": [
        "Real assets provide inflation protection, split between infrastructure and real estate.",
    ],
    "real_assets/infrastructure": [
        "Targets core-plus infrastructure: regulated utilities, digital infrastructure and transport.",
        "Infrastructure is favoured for long-duration, inflation-linked cash yields.",
        "Seeks value-add infrastructure managers building energy transition platforms.",
    ],
    "real_assets/real_estate": [
        "Real estate commitments focus on value-add residential, logistics and life-science offices.",
        "Prefers opportunistic real estate managers repositioning assets in gateway cities.",
    ],
    "secondaries": [
        "Uses secondaries to mitigate the J-curve and buy mature portfolios at a discount.",
        "Backs GP-led continuation vehicle specialists as well as LP-stake buyers.",
    ],
    "fund_of_funds": [
        "Gains diversified exposure through funds of funds where it lacks an internal team.",
    ],
}

REGION_VIEWS = {
    "north_america": [
        "North America is the core market, with most commitments going to US managers.",
        "Invests mainly in the United States and Canada, with a tilt to regional mid-market firms.",
        "Focuses on US managers outside the coastal hubs, in the Midwest and the South.",
    ],
    "europe": [
        "Europe is the focus, especially the DACH region, France and the Benelux.",
        "Prefers pan-European managers with offices in at least three countries.",
    ],
    "nordics": [
        "Has a home bias to the Nordics; Swedish, Danish, Norwegian and Finnish managers get priority.",
        "Looks for Nordic managers with local networks in Sweden, Norway, Denmark and Finland.",
    ],
    "asia_pacific": [
        "Builds Asia-Pacific exposure through country specialists in Japan, Korea, India and Australia.",
        "Seeks pan-Asian managers, with China exposure capped for geopolitical reasons.",
    ],
    "latin_america": [
        "Invests in Latin America, mainly Brazil, Mexico and Chile, and accepts currency risk.",
    ],
    "middle_east_africa": [
        "Backs managers in the Gulf and in Africa's largest economies, with local partners on the ground.",
    ],
    "global": [
        "Geographically unconstrained: it backs the best managers wherever they invest.",
        "Runs a global programme, diversified by region and vintage year.",
    ],
}

SECTOR_WORDS = {
    "technology": "software & technology",
    "healthcare": "healthcare & life sciences",
    "consumer": "consumer brands",
    "industrials": "industrial businesses",
    "financial_services": "financial services & fintech",
    "business_services": "business services",
    "energy_transition": "the energy transition",
    "climate": "climate solutions",
    "education": "education",
    "agriculture": "agriculture & food",
    "logistics": "logistics & supply chains",
    "media_telecom": "media & telecoms",
}

CONSTRAINTS = [
    "Requires a co-investment right on every fund commitment, fee-free.",
    "Is fee-sensitive: management fees above 1.75% are a hurdle, and carry must sit above an 8% preferred return.",
    "Expects the GP to commit at least 2% of the fund from the partners' own money.",
    "Works through an investment consultant who screens every manager before the staff meet them.",
    "Focuses on re-ups with existing managers; new relationships need a strong internal sponsor.",
    "Is over-allocated after the public market drawdown and is pacing new commitments carefully.",
    "Insists on strong key-person provisions and an independent LP advisory committee.",
    "Prefers managers with diverse ownership and reports on diversity to its board.",
    "Needs US-dollar share classes or currency hedging for non-dollar funds.",
    "Wants quarterly ILPA-template reporting and portfolio-level carbon data.",
    "Reviews managers' realised DPI closely and is sceptical of unrealised marks.",
    "Will take a seat on advisory committees and values first-close fee discounts.",
]

GCC_CONSTRAINT = "Invests only in Sharia-compliant structures, with no conventional leverage."


def _money(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:,.1f}bn".replace(".0bn", "bn")
    return f"{value:,.0f}m"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def mandate_text(rng: random.Random, lp: LpFacts) -> str:
    """A mandate of five to nine sentences about this LP's actual preferences."""
    pct = f"{lp.allocation_pct:.0f}"
    fields = {
        "name": lp.name,
        "pct": pct,
        "aum": _money(lp.aum),
        "pm": _money(lp.aum * lp.allocation_pct / 100),
    }
    parts = [rng.choice(OPENINGS[lp.lp_type]).format(**fields)]
    for strategy in lp.strategies[:3]:
        parts.append(rng.choice(STRATEGY_VIEWS[strategy]))
    parts.append(rng.choice(REGION_VIEWS[lp.regions[0]]))
    if len(lp.regions) > 1:
        others = _join([REGION_LABELS[r] for r in lp.regions[1:]])
        parts.append(
            rng.choice(
                [
                    f"Also commits selectively to {others}.",
                    f"Has a smaller, opportunistic budget for {others}.",
                ]
            )
        )
    if lp.sectors:
        words = [SECTOR_WORDS[s] for s in lp.sectors]
        parts.append(
            rng.choice(
                [
                    f"Sector specialists in {_join(words)} are favoured over generalists.",
                    f"Wants thematic exposure to {_join(words)}.",
                    f"Has conviction in {_join(words)} and underwrites sector expertise closely.",
                ]
            )
        )
    parts.append(
        rng.choice(
            [
                f"Typical commitments are ${_money(lp.check_min)} to ${_money(lp.check_max)}, never more than 15% of a fund.",
                f"Tickets range from ${_money(lp.check_min)} to ${_money(lp.check_max)}.",
                f"Commits ${_money(lp.check_min)}-{_money(lp.check_max)} per fund and prefers to be an anchor LP.",
            ]
        )
    )
    parts.append(_track_record_view(rng, lp))
    if lp.esg_required:
        parts.append(
            rng.choice(
                [
                    "Every manager must have a formal ESG policy and be a PRI signatory.",
                    "Requires an ESG policy and SFDR Article 8 or 9 classification for European funds.",
                    "Excludes fossil-fuel extraction and requires annual climate reporting from managers.",
                ]
            )
        )
    if lp.home_region == "middle_east_africa" and rng.random() < 0.4:
        parts.append(GCC_CONSTRAINT)
    parts.extend(rng.sample(CONSTRAINTS, k=rng.randint(0, 2)))
    parts.append(_posture(rng, lp))
    return " ".join(parts)


def _track_record_view(rng: random.Random, lp: LpFacts) -> str:
    years = lp.min_track_record
    if lp.emerging_manager:
        return rng.choice(
            [
                "Runs a dedicated emerging manager programme for first- and second-time funds.",
                "Backs first-time funds when the team has an attributable track record from a prior firm.",
                "Sets aside part of each year's budget for emerging and diverse managers.",
            ]
        )
    if years >= 5:
        return rng.choice(
            [
                f"Requires at least {years} years of track record with realised exits.",
                f"Wants {years}+ years of attributable history and at least two realised funds.",
            ]
        )
    if years >= 3:
        return rng.choice(
            [
                f"Does not back first-time funds; {years} years of history is the minimum.",
                f"Needs {years} years of track record, so first-time funds are out.",
            ]
        )
    return rng.choice(
        [
            "Will look at first-time funds only alongside a strong anchor investor.",
            "Open to newer managers if the partners have worked together before.",
            "Track record matters less than the team's sourcing edge.",
        ]
    )


def _posture(rng: random.Random, lp: LpFacts) -> str:
    budget = _money(lp.aum * lp.allocation_pct / 100 * rng.uniform(0.08, 0.2))
    if lp.actively_looking:
        count = rng.randint(2, 12)
        return rng.choice(
            [
                f"Plans about {count} new commitments in the next twelve months, some to new relationships.",
                f"Has about ${budget} to commit this year across {count} funds.",
                f"Actively meeting new managers; expects {max(1, count // 3)} new relationships this year.",
                f"Pacing plan: ${budget} a year, with room for {count} new funds.",
            ]
        )
    return rng.choice(
        [
            "Largely committed for this year; new relationships are unlikely before next year.",
            f"This year's budget of ${budget} is spent; it is building a watch-list for next year.",
            "Has paused new commitments while it rebalances after the denominator effect.",
            "Only re-ups with existing managers are planned until the next strategy review.",
            f"Will consider new managers again once distributions of about ${budget} come back.",
        ]
    )


THESIS_OPENINGS = {
    "private_equity/buyout": [
        "{manager} acquires control of profitable mid-market companies and professionalises them.",
        "{manager} runs a buy-and-build strategy, merging fragmented founder-owned businesses into leaders.",
        "{manager} buys carve-outs from large corporates and makes them stand-alone companies.",
    ],
    "private_equity/growth": [
        "{manager} takes minority stakes in fast-growing, profitable companies led by their founders.",
        "{manager} provides growth capital to bootstrapped software companies at their first institutional round.",
    ],
    "venture/early": [
        "{manager} leads seed and Series A rounds, writing first cheques into technical founding teams.",
        "{manager} backs pre-seed companies from university labs and keeps reserves for follow-ons.",
    ],
    "venture/late": [
        "{manager} invests in late-stage rounds of companies with $20m+ revenue and a path to IPO.",
        "{manager} buys into growth-stage venture companies, often through structured rounds.",
    ],
    "private_credit/direct_lending": [
        "{manager} originates senior secured loans to sponsor-backed mid-market companies.",
        "{manager} lends unitranche facilities to founder-owned businesses that banks underserve.",
    ],
    "private_credit/mezzanine": [
        "{manager} provides mezzanine and preferred equity with warrants to growing companies.",
        "{manager} offers flexible junior capital for acquisitions and recapitalisations.",
    ],
    "real_assets/infrastructure": [
        "{manager} builds and operates mid-market infrastructure: fibre, data centres and renewables.",
        "{manager} acquires regulated and contracted infrastructure assets with inflation-linked revenue.",
    ],
    "real_assets/real_estate": [
        "{manager} repositions under-managed residential and logistics assets in growing cities.",
        "{manager} develops life-science and laboratory space near research universities.",
    ],
    "secondaries": [
        "{manager} buys LP interests and leads GP-led continuation vehicles at discounts to NAV.",
        "{manager} provides liquidity solutions to LPs and GPs in the small and mid-market.",
    ],
    "fund_of_funds": [
        "{manager} builds diversified portfolios of emerging managers that larger LPs cannot access.",
    ],
}


def fund_thesis(rng: random.Random, fund: FundFacts) -> str:
    """A thesis of four to six sentences for this fund's strategy, markets and sectors."""
    parts = [rng.choice(THESIS_OPENINGS[fund.strategy]).format(manager=fund.manager)]
    places = [geography_label(g) for g in fund.geographies]
    parts.append(f"Target markets: {_join(places)}.")
    if fund.sectors:
        parts.append(f"It specialises in {_join([SECTOR_WORDS[s] for s in fund.sectors])}.")
    label = STRATEGY_LABELS[fund.strategy].lower()
    parts.append(
        f"Fund {roman(fund.fund_number)} targets ${_money(fund.target_size)} for {label}, "
        f"{'building on the prior funds' if fund.fund_number > 1 else 'the first fund of a spin-out team'}."
    )
    parts.append(
        rng.choice(
            [
                "Value creation comes from pricing, procurement and add-on acquisitions.",
                "The team sources most deals proprietarily through long founder relationships.",
                "Portfolio construction is concentrated: 12-15 positions with reserves.",
                "Downside protection comes from conservative structuring and covenants.",
                "An in-house operating team supports every portfolio company from day one.",
            ]
        )
    )
    return " ".join(parts)


def lp_description(lp: LpFacts, city: str) -> str:
    """One line saying what the LP is and where."""
    return f"{LP_TYPE_LABELS[lp.lp_type]} based in {city}, with about ${_money(lp.aum)} under management."
