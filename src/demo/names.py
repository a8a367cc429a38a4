"""Word lists for the demo market: places, people and firm names (all invented)."""

from __future__ import annotations

from typing import Final

# (city or state, ISO country). Investors take their home region from the country.
PLACES: Final = (
    ("Ohio", "US"), ("Oregon", "US"), ("Vermont", "US"), ("Arizona", "US"), ("Nebraska", "US"),
    ("Maryland", "US"), ("Kansas", "US"), ("Iowa", "US"), ("Delaware", "US"), ("Montana", "US"),
    ("Tennessee", "US"), ("Wisconsin", "US"), ("Utah", "US"), ("Maine", "US"), ("Idaho", "US"),
    ("Boston", "US"), ("Chicago", "US"), ("Houston", "US"), ("Denver", "US"), ("Atlanta", "US"),
    ("Seattle", "US"), ("Philadelphia", "US"), ("Minneapolis", "US"), ("Charlotte", "US"),
    ("Toronto", "CA"), ("Montreal", "CA"), ("Calgary", "CA"), ("Vancouver", "CA"),
    ("London", "GB"), ("Edinburgh", "GB"), ("Manchester", "GB"), ("Dublin", "IE"),
    ("Paris", "FR"), ("Lyon", "FR"), ("Frankfurt", "DE"), ("Munich", "DE"), ("Hamburg", "DE"),
    ("Amsterdam", "NL"), ("Rotterdam", "NL"), ("Brussels", "BE"), ("Luxembourg", "LU"),
    ("Zurich", "CH"), ("Geneva", "CH"), ("Basel", "CH"), ("Vienna", "AT"), ("Milan", "IT"),
    ("Turin", "IT"), ("Madrid", "ES"), ("Barcelona", "ES"), ("Lisbon", "PT"), ("Warsaw", "PL"),
    ("Stockholm", "SE"), ("Gothenburg", "SE"), ("Malmo", "SE"), ("Oslo", "NO"), ("Bergen", "NO"),
    ("Copenhagen", "DK"), ("Aarhus", "DK"), ("Helsinki", "FI"), ("Tampere", "FI"),
    ("Tokyo", "JP"), ("Osaka", "JP"), ("Seoul", "KR"), ("Singapore", "SG"), ("Hong Kong", "HK"),
    ("Sydney", "AU"), ("Melbourne", "AU"), ("Auckland", "NZ"), ("Mumbai", "IN"), ("Taipei", "TW"),
    ("Shanghai", "CN"), ("Kuala Lumpur", "MY"),
    ("Sao Paulo", "BR"), ("Rio de Janeiro", "BR"), ("Mexico City", "MX"), ("Santiago", "CL"),
    ("Bogota", "CO"), ("Lima", "PE"),
    ("Abu Dhabi", "AE"), ("Dubai", "AE"), ("Riyadh", "SA"), ("Doha", "QA"), ("Kuwait City", "KW"),
    ("Tel Aviv", "IL"), ("Johannesburg", "ZA"), ("Cape Town", "ZA"), ("Lagos", "NG"),
    ("Nairobi", "KE"),
)  # fmt: skip

FIRST_NAMES: Final = (
    "Alex", "Amara", "Anders", "Ana", "Ben", "Camille", "Carlos", "Chen", "Chloe", "Daniel",
    "Dev", "Elena", "Emma", "Erik", "Fatima", "Felix", "Grace", "Hana", "Hiro", "Ingrid",
    "Isaac", "Jamal", "James", "Javier", "Jonas", "Julia", "Kai", "Karin", "Laila", "Lars",
    "Leah", "Lucas", "Maya", "Mei", "Mikael", "Nadia", "Noah", "Nora", "Olivia", "Omar",
    "Pablo", "Priya", "Rafael", "Rania", "Rohan", "Ruth", "Sakura", "Samuel", "Sara", "Sofia",
    "Tariq", "Thomas", "Tomas", "Valentina", "Victor", "Wei", "Yara", "Yusuf", "Zoe", "Zanele",
)  # fmt: skip

LAST_NAMES: Final = (
    "Abbott", "Adeyemi", "Alvarez", "Andersson", "Bakker", "Bauer", "Bennett", "Berg", "Brennan",
    "Campbell", "Carvalho", "Chen", "Costa", "Dahl", "Dubois", "Eriksen", "Farouk", "Fischer",
    "Fitzgerald", "Garcia", "Goldberg", "Gupta", "Haddad", "Hansen", "Hayes", "Holm", "Ito",
    "Jensen", "Johansson", "Kato", "Keller", "Khan", "Kim", "Kowalski", "Laine", "Larsen",
    "Lehmann", "Lindqvist", "Lopez", "Martin", "Mendes", "Meyer", "Moreau", "Mukherjee",
    "Nakamura", "Nguyen", "Nielsen", "Novak", "Okafor", "Olsen", "Osei", "Park", "Patel",
    "Pereira", "Petrov", "Quinn", "Rahman", "Reyes", "Richter", "Rossi", "Saito", "Santos",
    "Schmidt", "Shah", "Silva", "Singh", "Sorensen", "Suzuki", "Tanaka", "Thompson", "Torres",
    "Varga", "Vogel", "Wagner", "Walsh", "Weber", "Williams", "Wong", "Yamamoto", "Zhang",
)  # fmt: skip

FIRM_WORDS: Final = (
    "Aurora", "Granite", "Harbor", "Summit", "Cedar", "Meridian", "Ironwood", "Bluewater",
    "Keystone", "Pinecrest", "Silverline", "Beacon", "Evergreen", "Crescent", "Highland",
    "Riverbend", "Stonebridge", "Tidewater", "Westbrook", "Juniper", "Fjord", "Polaris",
    "Larch", "Halcyon", "Cobalt", "Kestrel", "Osprey", "Arbor", "Lodestar", "Bristlecone",
    "Copperline", "Sandstone", "Windward", "Brightwater", "Saltire", "Ember", "Vantage",
    "Northgate", "Alder", "Basalt", "Coral", "Driftwood", "Elmstead", "Foxglove", "Glacier",
    "Heron", "Indigo", "Jasper", "Kingfisher", "Lantern", "Marlin", "Nimbus", "Oakmont",
    "Pebble", "Quarry", "Redwood", "Solstice", "Tamarack", "Umber", "Verity", "Willow",
    "Yarrow", "Zephyr", "Amber", "Birchwood", "Clearwater", "Dunmore", "Eastfield",
)  # fmt: skip

LP_NAME_PATTERNS: Final = {
    "public_pension": (
        "{place} Public Employees' Retirement System",
        "{place} Teachers' Retirement Fund",
        "{place} Municipal Pension Fund",
        "{place} County Employees' Retirement Association",
        "{place} Police and Fire Pension Plan",
        "{place} State Pension Board",
    ),
    "corporate_pension": (
        "{word} Industries Pension Plan",
        "{surname} Group Retirement Trust",
        "{word} Energy Pension Scheme",
        "{word} Telecom Pension Fund",
    ),
    "endowment": (
        "University of {place} Endowment",
        "{surname} College Endowment",
        "{place} Institute of Technology Endowment",
    ),
    "foundation": (
        "{surname} Foundation",
        "{surname} Family Foundation",
        "{place} Community Foundation",
        "{word} Health Foundation",
    ),
    "family_office": (
        "{surname} Family Office",
        "{word} Family Capital",
        "{surname} & Partners Multi-Family Office",
        "{word} Private Office",
    ),
    "sovereign_wealth": (
        "{place} Investment Authority",
        "{place} Future Generations Fund",
        "{place} Strategic Investment Corporation",
    ),
    "insurance": (
        "{place} Mutual Insurance",
        "{surname} Life & Annuity",
        "{word} Reinsurance Group",
    ),
    "fund_of_funds": (
        "{word} Private Markets",
        "{word} Fund Partners",
        "{word} Access Portfolios",
    ),
    "bank": (
        "{place} Private Bank",
        "{surname} Bank Wealth Management",
        "{place} Cantonal Investment Bank",
    ),
    "ria": (
        "{word} Wealth Advisors",
        "{surname} Investment Counsel",
        "{word} Capital Advisers",
    ),
    "other": (
        "{place} Hospital System Reserve Fund",
        "{word} Church Pension Trust",
        "{place} Labour Union Benefit Fund",
    ),
}

GP_SUFFIXES: Final = {
    "private_equity/buyout": ("Capital", "Partners", "Equity Partners"),
    "private_equity/growth": ("Growth Partners", "Growth Equity"),
    "venture/early": ("Ventures", "Seed", "Venture Partners"),
    "venture/late": ("Growth Ventures", "Crossover Partners"),
    "private_credit/direct_lending": ("Credit Partners", "Lending"),
    "private_credit/mezzanine": ("Mezzanine Capital", "Structured Capital"),
    "real_assets/infrastructure": ("Infrastructure Partners", "Infrastructure"),
    "real_assets/real_estate": ("Real Estate Partners", "Property Partners"),
    "secondaries": ("Secondary Partners", "Liquidity Partners"),
    "fund_of_funds": ("Fund Partners", "Manager Partners"),
}

LP_TITLES: Final = (
    ("Chief Investment Officer", True),
    ("Head of Private Markets", True),
    ("Managing Director, Private Equity", True),
    ("Senior Portfolio Manager", False),
    ("Director, Private Credit", False),
    ("Investment Officer", False),
    ("Principal", False),
    ("Investment Analyst", False),
)

GP_TITLES: Final = (
    ("Managing Partner", True),
    ("Partner", True),
    ("Head of Investor Relations", False),
    ("Principal", False),
    ("Vice President", False),
    ("Associate", False),
)


def roman(number: int) -> str:
    """Fund numbers as managers write them: 1 → I, 4 → IV, 12 → XII."""
    values = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in values:
        while number >= value:
            out += letters
            number -= value
    return out
