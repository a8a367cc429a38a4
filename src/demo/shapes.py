"""What the demo market is made of: proportions, sizes and records the generator shares."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from src.demo.texts import LpFacts

LP_TYPE_WEIGHTS = {
    "public_pension": 10, "corporate_pension": 9, "endowment": 8, "foundation": 12,
    "family_office": 22, "sovereign_wealth": 2, "insurance": 7, "fund_of_funds": 8, "bank": 5,
    "ria": 12, "other": 5,
}  # fmt: skip

# Median AUM ($m), log-normal spread, private-markets allocation range (%), positions held.
LP_SHAPE = {
    "public_pension": (30_000, 1.3, (8, 25), 60),
    "corporate_pension": (5_000, 1.2, (5, 18), 30),
    "endowment": (2_000, 1.2, (25, 55), 35),
    "foundation": (800, 1.2, (15, 40), 25),
    "family_office": (600, 1.1, (10, 50), 15),
    "sovereign_wealth": (100_000, 1.0, (10, 35), 120),
    "insurance": (30_000, 1.3, (3, 12), 50),
    "fund_of_funds": (3_000, 1.0, (85, 100), 40),
    "bank": (50_000, 1.2, (2, 8), 40),
    "ria": (2_000, 1.1, (3, 15), 20),
    "other": (500, 1.0, (8, 25), 12),
}

# Strategy appetite per LP type (weights over taxonomy codes).
LP_STRATEGY_WEIGHTS: dict[str, dict[str, int]] = {
    "public_pension": {"private_equity": 6, "private_equity/buyout": 8, "private_equity/growth": 3,
                       "private_credit/direct_lending": 5, "real_assets/infrastructure": 6,
                       "real_assets/real_estate": 5, "secondaries": 3, "venture": 1},
    "corporate_pension": {"private_equity/buyout": 6, "private_credit/direct_lending": 6,
                          "private_credit": 3, "real_assets/infrastructure": 4, "secondaries": 3},
    "endowment": {"venture": 5, "venture/early": 7, "venture/late": 3, "private_equity/buyout": 5,
                  "private_equity/growth": 6, "secondaries": 2, "real_assets/real_estate": 2},
    "foundation": {"venture/early": 5, "private_equity/growth": 5, "private_equity/buyout": 4,
                   "venture": 3, "real_assets": 2, "secondaries": 2, "private_credit": 1},
    "family_office": {"venture/early": 6, "private_equity/growth": 6, "private_equity/buyout": 5,
                      "real_assets/real_estate": 5, "private_credit/mezzanine": 2,
                      "venture/late": 3, "private_credit/direct_lending": 2},
    "sovereign_wealth": {"private_equity": 6, "private_equity/buyout": 5,
                         "real_assets/infrastructure": 7, "real_assets": 3,
                         "private_equity/growth": 4, "venture/late": 2},
    "insurance": {"private_credit/direct_lending": 8, "private_credit": 5,
                  "real_assets/infrastructure": 6, "real_assets/real_estate": 4,
                  "secondaries": 3, "private_credit/mezzanine": 2},
    "fund_of_funds": {"private_equity": 5, "venture": 4, "secondaries": 5,
                      "private_equity/buyout": 4, "venture/early": 3, "fund_of_funds": 2},
    "bank": {"private_equity/buyout": 5, "private_credit/direct_lending": 5,
             "real_assets/real_estate": 4, "secondaries": 2, "fund_of_funds": 3},
    "ria": {"private_equity": 4, "private_credit": 5, "real_assets/real_estate": 4,
            "secondaries": 3, "fund_of_funds": 4, "venture/late": 2},
    "other": {"private_equity": 4, "real_assets": 3, "private_credit": 3, "fund_of_funds": 3,
              "venture": 1},
}  # fmt: skip

HQ_REGION_WEIGHTS = {
    "north_america": 45, "europe": 22, "nordics": 6, "asia_pacific": 15, "latin_america": 5,
    "middle_east_africa": 7,
}  # fmt: skip

# Median fund size ($m) and typical net IRR mean / spread by strategy.
FUND_SHAPE = {
    "private_equity/buyout": (800, 16, 7),
    "private_equity/growth": (500, 18, 9),
    "venture/early": (120, 20, 18),
    "venture/late": (400, 15, 14),
    "private_credit/direct_lending": (1_000, 9, 3),
    "private_credit/mezzanine": (500, 12, 4),
    "real_assets/infrastructure": (1_500, 10, 4),
    "real_assets/real_estate": (600, 11, 6),
    "secondaries": (1_200, 15, 5),
    "fund_of_funds": (300, 12, 5),
}

LIVE_STATUS_WEIGHTS = {"draft": 1, "pre_marketing": 2, "raising": 5, "first_close": 2}
PIPELINE_STAGES = ("recommended", "gp_interested", "gp_pursuing", "lp_reviewing",
                   "mutual_interest", "in_diligence", "gp_passed", "lp_passed")  # fmt: skip
DISMISS_REASONS = ("already_in_contact", "strategy_mismatch", "check_size_too_small",
                   "geographic_mismatch", "other")  # fmt: skip
INVESTMENT_SOURCES = {"public_filing": (6, 0.95), "press": (3, 0.7), "lp_reported": (2, 0.9),
                      "estimate": (1, 0.5)}  # fmt: skip

EMERGING_PROGRAMME_SHARE = {"public_pension": 0.3, "endowment": 0.25, "fund_of_funds": 0.45,
                            "family_office": 0.35, "foundation": 0.2}  # fmt: skip
MIN_TRACK_RECORD = {"public_pension": 7, "sovereign_wealth": 8, "insurance": 6,
                    "corporate_pension": 5, "bank": 5}  # fmt: skip
FUND_AGE = {"draft": 0, "pre_marketing": 0, "raising": 0, "first_close": 0, "final_close": 1}
NEXT_STEPS = {"gp_pursuing": "Send introduction email", "lp_reviewing": "Follow up on the deck",
              "mutual_interest": "Schedule a meeting", "in_diligence": "Answer DDQ"}  # fmt: skip

DEMO_DOMAIN = "example.com"  # reserved for documentation: no demo email can reach anyone


@dataclass
class Lp:
    """The facts about a generated LP that later steps (commitments, outcomes) need."""

    org_id: uuid.UUID
    facts: LpFacts
    covered: frozenset[str]
    fund_size: tuple[float, float] | None


@dataclass
class Fund:
    """The facts about a generated fund that outcomes and pipelines need."""

    id: uuid.UUID
    org_id: uuid.UUID
    strategy: str
    status: str
    target: float
    geographies: tuple[str, ...]
    esg: bool
    emerging: bool
    vintage: int
    people: list[uuid.UUID]
    manager: str


def nice(value: float) -> float:
    """Round to two significant figures, as people quote ticket and fund sizes."""
    if value <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(value)))
    return float(round(value, digits))
