"""The product's vocabularies: LP types, fund statuses, strategies, sectors, regions, countries.

The database enforces the short enumerations with CHECK constraints; strategies and geographies
are open text arrays in the schema, so this module is where their allowed codes live.
"""

from __future__ import annotations

from typing import Final

LP_TYPES: Final = (
    "public_pension",
    "corporate_pension",
    "endowment",
    "foundation",
    "family_office",
    "sovereign_wealth",
    "insurance",
    "fund_of_funds",
    "bank",
    "ria",
    "other",
)

LP_TYPE_LABELS: Final = {
    "public_pension": "Public pension",
    "corporate_pension": "Corporate pension",
    "endowment": "Endowment",
    "foundation": "Foundation",
    "family_office": "Family office",
    "sovereign_wealth": "Sovereign wealth fund",
    "insurance": "Insurance company",
    "fund_of_funds": "Fund of funds",
    "bank": "Bank",
    "ria": "Registered investment adviser",
    "other": "Other",
}

FUND_STATUSES: Final = (
    "draft",
    "pre_marketing",
    "raising",
    "first_close",
    "final_close",
    "closed",
)

# Two levels: an LP accepting a parent strategy accepts all its sub-strategies.
STRATEGY_TREE: Final[dict[str, tuple[str, ...]]] = {
    "private_equity": ("buyout", "growth"),
    "venture": ("early", "late"),
    "private_credit": ("direct_lending", "mezzanine"),
    "real_assets": ("infrastructure", "real_estate"),
    "secondaries": (),
    "fund_of_funds": (),
}

STRATEGIES: Final = tuple(
    code
    for parent, children in STRATEGY_TREE.items()
    for code in (parent, *(f"{parent}/{child}" for child in children))
)

# Strategies a fund can be raised under (a parent with sub-strategies is too broad for a fund).
FUND_STRATEGIES: Final = tuple(
    code for code in STRATEGIES if "/" in code or not STRATEGY_TREE.get(code)
)

STRATEGY_LABELS: Final = {
    "private_equity": "Private equity",
    "private_equity/buyout": "Buyout",
    "private_equity/growth": "Growth equity",
    "venture": "Venture capital",
    "venture/early": "Early-stage venture",
    "venture/late": "Late-stage venture",
    "private_credit": "Private credit",
    "private_credit/direct_lending": "Direct lending",
    "private_credit/mezzanine": "Mezzanine",
    "real_assets": "Real assets",
    "real_assets/infrastructure": "Infrastructure",
    "real_assets/real_estate": "Real estate",
    "secondaries": "Secondaries",
    "fund_of_funds": "Fund of funds",
}

SECTORS: Final = (
    "technology",
    "healthcare",
    "consumer",
    "industrials",
    "financial_services",
    "business_services",
    "energy_transition",
    "climate",
    "education",
    "agriculture",
    "logistics",
    "media_telecom",
)

REGIONS: Final = (
    "north_america",
    "europe",
    "nordics",
    "asia_pacific",
    "latin_america",
    "middle_east_africa",
    "global",
)

REGION_LABELS: Final = {
    "north_america": "North America",
    "europe": "Europe",
    "nordics": "Nordics",
    "asia_pacific": "Asia-Pacific",
    "latin_america": "Latin America",
    "middle_east_africa": "Middle East & Africa",
    "global": "Global",
}

# The Nordics are part of Europe: a European mandate covers a Nordic fund.
REGION_PARENT: Final = {"nordics": "europe"}

COUNTRY_REGION: Final = {
    "US": "north_america", "CA": "north_america", "MX": "latin_america",
    "BR": "latin_america", "CL": "latin_america", "CO": "latin_america", "AR": "latin_america",
    "PE": "latin_america",
    "GB": "europe", "IE": "europe", "FR": "europe", "DE": "europe", "NL": "europe",
    "BE": "europe", "LU": "europe", "CH": "europe", "AT": "europe", "IT": "europe",
    "ES": "europe", "PT": "europe", "PL": "europe", "CZ": "europe",
    "SE": "nordics", "NO": "nordics", "DK": "nordics", "FI": "nordics", "IS": "nordics",
    "JP": "asia_pacific", "CN": "asia_pacific", "HK": "asia_pacific", "SG": "asia_pacific",
    "KR": "asia_pacific", "AU": "asia_pacific", "NZ": "asia_pacific", "IN": "asia_pacific",
    "TW": "asia_pacific", "ID": "asia_pacific", "MY": "asia_pacific",
    "AE": "middle_east_africa", "SA": "middle_east_africa", "QA": "middle_east_africa",
    "KW": "middle_east_africa", "IL": "middle_east_africa", "ZA": "middle_east_africa",
    "NG": "middle_east_africa", "KE": "middle_east_africa", "EG": "middle_east_africa",
}  # fmt: skip

COUNTRY_NAMES: Final = {
    "US": "United States", "CA": "Canada", "MX": "Mexico", "BR": "Brazil", "CL": "Chile",
    "CO": "Colombia", "AR": "Argentina", "PE": "Peru", "GB": "United Kingdom", "IE": "Ireland",
    "FR": "France", "DE": "Germany", "NL": "Netherlands", "BE": "Belgium", "LU": "Luxembourg",
    "CH": "Switzerland", "AT": "Austria", "IT": "Italy", "ES": "Spain", "PT": "Portugal",
    "PL": "Poland", "CZ": "Czechia", "SE": "Sweden", "NO": "Norway", "DK": "Denmark",
    "FI": "Finland", "IS": "Iceland", "JP": "Japan", "CN": "China", "HK": "Hong Kong",
    "SG": "Singapore", "KR": "South Korea", "AU": "Australia", "NZ": "New Zealand", "IN": "India",
    "TW": "Taiwan", "ID": "Indonesia", "MY": "Malaysia", "AE": "United Arab Emirates",
    "SA": "Saudi Arabia", "QA": "Qatar", "KW": "Kuwait", "IL": "Israel", "ZA": "South Africa",
    "NG": "Nigeria", "KE": "Kenya", "EG": "Egypt",
}  # fmt: skip


def geography_label(code: str) -> str:
    """A region or ISO country code as people read it."""
    return REGION_LABELS.get(code) or COUNTRY_NAMES.get(code, code)


def strategy_parent(code: str) -> str:
    """The top-level strategy of a code: `venture/early` → `venture`."""
    return code.split("/", 1)[0]


def regions_covering(geography: str) -> set[str]:
    """Every region code that covers a region or ISO country code, itself included."""
    region = COUNTRY_REGION.get(geography, geography)
    covering = {geography, region, "global"}
    if region in REGION_PARENT:
        covering.add(REGION_PARENT[region])
    return covering


def strategy_match_set(codes: list[str]) -> list[str]:
    """Strategies an LP may list to match any of `codes`: the codes, their parents, children."""
    matched: set[str] = set()
    for code in codes:
        parent = strategy_parent(code)
        matched |= {code, parent}
        if code == parent:
            matched |= {f"{parent}/{child}" for child in STRATEGY_TREE.get(parent, ())}
    return sorted(matched)


def geography_match_set(codes: list[str]) -> list[str]:
    """Geographies an LP may list to invest in any of `codes` (regions roll up and down)."""
    matched: set[str] = {"global"}
    for code in codes:
        matched |= regions_covering(code)
        if code in REGIONS:
            # A region also covers its sub-regions and its countries (Europe covers the Nordics).
            subregions = {child for child, parent in REGION_PARENT.items() if parent == code}
            matched |= {code} | subregions
            matched |= {c for c, r in COUNTRY_REGION.items() if r == code or r in subregions}
    return sorted(matched)
