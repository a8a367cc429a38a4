"""A believable LP/GP market, generated deterministically from a seed.

`generate_market(seed=…, lps=…, funds=…, as_of=…)` returns plain rows per table; the same
arguments always give the same rows (ids included), so a demo can be rebuilt exactly and tests
can compare two runs. Sizes are in millions of USD, as everywhere in the schema.
"""

from __future__ import annotations

import math
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from src.demo import names
from src.demo.texts import FundFacts, LpFacts, fund_thesis, lp_description, mandate_text
from src.services.taxonomy import (
    COUNTRY_REGION,
    FUND_STRATEGIES,
    LP_TYPES,
    SECTORS,
    STRATEGY_LABELS,
    regions_covering,
    strategy_parent,
)

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "auth.users": ("id", "email", "email_confirmed_at", "created_at"),
    "organizations": ("id", "name", "is_gp", "is_lp", "website", "hq_country", "created_at"),
    "gp_profiles": ("org_id", "aum_musd", "founded_year", "description", "team_size"),
    "people": ("id", "auth_user_id", "full_name", "email", "phone", "is_super_admin", "created_at"),
    "employment": ("id", "person_id", "org_id", "title", "is_decision_maker", "access_role",
                   "started_on"),
    "funds": ("id", "org_id", "name", "fund_number", "status", "target_size_musd",
              "hard_cap_musd", "strategy", "geographies", "sectors", "thesis", "team_summary",
              "has_esg_policy", "esg_policy_text", "is_emerging_manager", "first_close_on",
              "created_by", "created_at"),
    "fund_track_records": ("id", "fund_id", "org_id", "name", "vintage_year", "size_musd",
                           "net_irr_pct", "tvpi"),
    "investments": ("id", "lp_org_id", "fund_id", "fund_name", "manager_name", "strategy",
                    "vintage_year", "amount_musd", "committed_on", "source", "confidence"),
    "fund_lp_status": ("id", "fund_id", "org_id", "lp_org_id", "interest", "dismiss_reason",
                       "stage", "next_step", "notes", "last_activity_at", "updated_by"),
    "match_outcomes": ("id", "fund_id", "org_id", "lp_org_id", "outcome", "amount_musd", "notes",
                       "recorded_by", "recorded_at"),
    "lp_profiles": ("org_id", "lp_type", "aum_musd", "private_markets_allocation_pct",
                    "strategies", "geographies", "sectors", "check_size_min_musd",
                    "check_size_max_musd", "fund_size_min_musd", "fund_size_max_musd",
                    "min_track_record_years", "esg_required", "emerging_manager_program",
                    "actively_looking", "region", "mandate_text", "description",
                    "last_verified_at"),
}  # fmt: skip

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

DEMO_DOMAIN = "example.com"
# Every demo sign-in shares this password; the embedded default prints it at start-up.
DEMO_PASSWORD = "lpxgp-demo-market"
DEMO_GPS = (("Northlight Capital", "private_equity/buyout", "SE"),
            ("Harbor Ridge Ventures", "venture/early", "US"))  # fmt: skip
DEMO_PEOPLE = {
    "Northlight Capital": {"admin": "Astrid Berg", "member": "Mikael Holm", "viewer": "Sara Lind"},
    "Harbor Ridge Ventures": {
        "admin": "Dana Reyes",
        "member": "Omar Haddad",
        "viewer": "Grace Kim",
    },
}


@dataclass(frozen=True)
class DemoLogin:
    """Someone who can sign in to the demo, and what they can see."""

    email: str
    full_name: str
    role: str
    org_name: str | None


def demo_logins() -> list[DemoLogin]:
    """The demo's sign-ins: a platform admin, then an admin, member and viewer per demo GP."""
    logins = [DemoLogin(f"platform@{DEMO_DOMAIN}", "Pat Platform", "platform_admin", None)]
    for name, _, _ in DEMO_GPS:
        short = name.split()[0].lower()
        for role, person in DEMO_PEOPLE[name].items():
            logins.append(DemoLogin(f"{role}@{short}.{DEMO_DOMAIN}", person, role, name))
    return logins


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
    track_years: int
    vintage: int
    people: list[uuid.UUID]
    manager: str


@dataclass
class Market:
    """Rows per table (in load order) and the demo sign-ins."""

    seed: int
    as_of: date
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in COLUMNS})
    logins: list[DemoLogin] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {table: len(rows) for table, rows in self.rows.items()}


def generate_market(*, seed: int = 7, lps: int = 5_000, funds: int = 80, as_of: date) -> Market:
    """Build the whole market in memory: GP orgs and funds, LPs, people, history."""
    if lps < len(LP_TYPES) or funds < 2 * len(DEMO_GPS):
        raise ValueError(
            f"the demo needs at least {len(LP_TYPES)} LPs and {2 * len(DEMO_GPS)} funds"
        )
    builder = _Builder(seed, as_of)
    builder.platform_admin()
    fund_list = builder.gps_and_funds(funds)
    lp_list = [builder.lp(i) for i in range(lps)]
    builder.commitments(lp_list, max(60, lps // 25))
    builder.outcomes_and_pipeline(fund_list, lp_list)
    return builder.market


class _Builder:
    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.now = datetime.combine(as_of, time(9, 0), tzinfo=UTC)
        self.market = Market(seed=seed, as_of=as_of)
        self.used_names: set[str] = set()
        self.used_emails: set[str] = set()

    # --- primitives -------------------------------------------------------------------
    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def add(self, table: str, *values: Any) -> None:
        self.market.rows[table].append(values)

    def pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def days_ago(self, low: int, high: int) -> datetime:
        return self.now - timedelta(
            days=self.rng.randint(low, high), minutes=self.rng.randint(0, 600)
        )

    def unique_name(self, candidates: list[str]) -> str:
        for name in candidates:
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        base, number = candidates[0], 2
        while f"{base} {names.roman(number)}" in self.used_names:
            number += 1
        self.used_names.add(f"{base} {names.roman(number)}")
        return f"{base} {names.roman(number)}"

    def email(self, first: str, last: str, domain: str) -> str:
        local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
        candidate, n = f"{local}@{domain}", 2
        while candidate in self.used_emails:
            candidate, n = f"{local}{n}@{domain}", n + 1
        self.used_emails.add(candidate)
        return candidate

    def person(
        self,
        org_id: uuid.UUID | None,
        domain: str | None,
        title: tuple[str, bool] | None,
        **extra: Any,
    ) -> uuid.UUID:
        first, last = self.rng.choice(names.FIRST_NAMES), self.rng.choice(names.LAST_NAMES)
        person_id = self.new_id()
        email = extra.get("email") or (self.email(first, last, domain) if domain else None)
        phone = (
            f"+1 555 {self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}"
            if self.rng.random() < 0.3
            else None
        )
        self.add(
            "people",
            person_id,
            extra.get("auth_user_id"),
            extra.get("full_name") or f"{first} {last}",
            email,
            phone,
            extra.get("is_super_admin", False),
            self.days_ago(30, 900),
        )
        if org_id is not None and title is not None:
            started = self.as_of - timedelta(days=self.rng.randint(200, 5000))
            self.add(
                "employment",
                self.new_id(),
                person_id,
                org_id,
                title[0],
                title[1],
                extra.get("access_role"),
                started,
            )
        return person_id

    def login(self, login: DemoLogin, org_id: uuid.UUID | None) -> uuid.UUID:
        user_id = self.new_id()
        self.add("auth.users", user_id, login.email, self.now, self.now)
        self.used_emails.add(login.email)
        title = ({"admin": ("Managing Partner", True), "member": ("Principal", False),
                  "viewer": ("Analyst", False)}.get(login.role))  # fmt: skip
        person_id = self.person(org_id, None, title, email=login.email, full_name=login.full_name,
                                auth_user_id=user_id, access_role=login.role if org_id else None,
                                is_super_admin=login.role == "platform_admin")  # fmt: skip
        self.market.logins.append(login)
        return person_id

    # --- sign-ins -------------------------------------------------------------------------
    def platform_admin(self) -> None:
        self.login(demo_logins()[0], None)

    # --- GPs and funds ---------------------------------------------------------------------
    def gps_and_funds(self, total_funds: int) -> list[Fund]:
        gp_count = max(2, round(total_funds / 2))
        per_gp = [2] * len(DEMO_GPS) + [1] * (gp_count - len(DEMO_GPS))
        for _ in range(max(0, total_funds - sum(per_gp))):
            per_gp[self.rng.randrange(gp_count)] += 1
        funds: list[Fund] = []
        live_status_cycle = iter(("draft", "pre_marketing", "raising", "first_close"))
        for index, count in enumerate(per_gp):
            if index < len(DEMO_GPS):
                name, strategy, country = DEMO_GPS[index]
                self.used_names.add(name)
            else:
                strategy = (
                    FUND_STRATEGIES[index % len(FUND_STRATEGIES)]
                    if index < 12
                    else self.rng.choice(FUND_STRATEGIES)
                )
                word = self.rng.choice(names.FIRM_WORDS)
                name = self.unique_name([f"{word} {s}" for s in names.GP_SUFFIXES[strategy]])
                country = self.rng.choice(names.PLACES)[1]
            funds.extend(self.gp(index, name, strategy, country, count, live_status_cycle))
        return funds

    # The demo GPs get two funds each: a live one to match and a closed one with history.
    def gp(
        self, index: int, name: str, strategy: str, country: str, count: int, cycle: Any
    ) -> list[Fund]:
        org_id = self.new_id()
        slug = re.sub(r"[^a-z]+", "", name.lower().split()[0])
        domain = f"{slug}{index}.{DEMO_DOMAIN}"
        founded = self.as_of.year - self.rng.randint(3, 30)
        self.add(
            "organizations",
            org_id,
            name,
            True,
            False,
            f"https://{domain}",
            country,
            self.days_ago(100, 1500),
        )
        median = FUND_SHAPE[strategy][0]
        self.add(
            "gp_profiles",
            org_id,
            round(median * count * self.rng.uniform(1.5, 4), 1),
            founded,
            f"{name} is an independent {STRATEGY_LABELS[strategy].lower()} manager "
            f"founded in {founded}.",
            self.rng.randint(6, 60),
        )
        people = [
            self.person(org_id, domain, self.rng.choice(names.GP_TITLES))
            for _ in range(self.rng.randint(3, 6))
        ]
        if index < len(DEMO_GPS):
            for login in demo_logins():
                if login.org_name == name:
                    people.append(self.login(login, org_id))
        region = COUNTRY_REGION[country]
        latest = self.rng.randint(1, 4) + count - 1
        funds = []
        for position in range(count):
            number = latest - position
            if position == 0 and index < len(DEMO_GPS):
                status = "raising"
            elif position == 0:
                status = next(cycle, None) or self.pick(LIVE_STATUS_WEIGHTS)
            else:
                status = "final_close" if position == 1 and self.rng.random() < 0.5 else "closed"
            funds.append(
                self.fund(org_id, name, strategy, number, status, region, country, founded, people)
            )
        return funds

    def fund(
        self,
        org_id: uuid.UUID,
        manager: str,
        strategy: str,
        number: int,
        status: str,
        region: str,
        country: str,
        founded: int,
        people: list[uuid.UUID],
    ) -> Fund:
        median, irr_mean, irr_sd = FUND_SHAPE[strategy]
        target = (
            round(median * math.exp(self.rng.gauss(0, 0.5)) * (1 + 0.25 * (number - 1)), -1) or 10.0
        )
        age = FUND_AGE.get(status, self.rng.randint(2, 8))
        vintage = self.as_of.year - age
        geographies = (
            [region]
            if self.rng.random() < 0.7
            else [region, self.rng.choice(list(HQ_REGION_WEIGHTS))]
        )
        if self.rng.random() < 0.2:
            geographies = [
                country,
                *[c for c, r in COUNTRY_REGION.items() if r == region and c != country][:1],
            ]
        geographies = list(dict.fromkeys(geographies))
        sectors = self.rng.sample(SECTORS, k=self.rng.choice((0, 1, 2, 2, 3)))
        esg = self.rng.random() < 0.65
        emerging = number <= 2
        facts = FundFacts(manager, strategy, tuple(geographies), tuple(sectors), target, number)
        fund_id = self.new_id()
        first_close = None
        if status in ("first_close", "final_close", "closed"):
            first_close = date(vintage, self.rng.randint(1, 12), self.rng.randint(1, 28))
        elif status == "raising":
            first_close = self.as_of + timedelta(days=self.rng.randint(30, 240))
        self.add(
            "funds",
            fund_id,
            org_id,
            f"{manager} Fund {names.roman(number)}",
            number,
            status,
            target,
            round(target * self.rng.uniform(1.15, 1.4), -1),
            strategy,
            geographies,
            sectors,
            fund_thesis(self.rng, facts) if status != "draft" or self.rng.random() < 0.5 else None,
            f"{self.rng.randint(2, 6)} partners who have invested together "
            f"for {self.rng.randint(4, 20)} years.",
            esg,
            "Signatory of the UN PRI; ESG diligence and annual reporting on every holding."
            if esg
            else None,
            emerging,
            first_close,
            self.rng.choice(people),
            self.days_ago(20, 400),
        )
        for prior in range(1, number):
            years_back = 3 * (number - prior) + self.rng.randint(0, 1)
            irr = max(-30.0, min(60.0, self.rng.gauss(irr_mean, irr_sd)))
            held = min(years_back, 8)
            tvpi = max(0.3, min(6.0, (1 + irr / 100) ** held * self.rng.uniform(0.85, 1.05)))
            self.add(
                "fund_track_records",
                self.new_id(),
                fund_id,
                org_id,
                f"{manager} Fund {names.roman(prior)}",
                max(founded, vintage - years_back),
                round(target * 0.75 ** (number - prior), 1),
                round(irr, 1),
                round(tvpi, 2),
            )
        return Fund(
            fund_id,
            org_id,
            strategy,
            status,
            target,
            tuple(geographies),
            esg,
            emerging,
            3 * (number - 1),
            vintage,
            people,
            manager,
        )

    # --- LPs -------------------------------------------------------------------------------
    def lp(self, index: int) -> Lp:
        lp_type = self.pick(LP_TYPE_WEIGHTS) if index >= len(LP_TYPES) else LP_TYPES[index]
        hq_region = self.pick(HQ_REGION_WEIGHTS)
        place, country = self.rng.choice(
            [p for p in names.PLACES if COUNTRY_REGION[p[1]] == hq_region]
        )
        name = self.lp_name(lp_type, place)
        median, spread, (alloc_low, alloc_high), positions = LP_SHAPE[lp_type]
        aum = min(
            1_000_000.0, max(20.0, round(median * math.exp(self.rng.gauss(0, spread * 0.6)), 1))
        )
        alloc = round(self.rng.uniform(alloc_low, alloc_high), 1)
        typical = max(0.5, aum * alloc / 100 / positions)
        check = (
            _nice(typical * self.rng.uniform(0.3, 0.6)),
            _nice(typical * self.rng.uniform(1.5, 2.5)),
        )
        fund_low = _nice(max(20.0, check[1] * self.rng.uniform(3, 8)))
        fund_size = (fund_low, min(1_000_000.0, _nice(fund_low * self.rng.uniform(8, 40))))
        strategies = self.lp_strategies(lp_type)
        geographies = self.lp_geographies(hq_region, lp_type)
        emerging = self.rng.random() < EMERGING_PROGRAMME_SHARE.get(lp_type, 0.1)
        track = 0 if emerging else MIN_TRACK_RECORD.get(lp_type, 2)
        track = max(0, track + self.rng.randint(-2, 2))
        esg_p = {"europe": 0.6, "nordics": 0.8}.get(hq_region, 0.25) + (
            0.2 if lp_type == "foundation" else 0
        )
        sector_count = self.rng.choice((0, 0, 1, 2, 3))
        facts = LpFacts(
            name=name, lp_type=lp_type, aum=aum, allocation_pct=alloc, strategies=tuple(strategies),
            regions=tuple(geographies), sectors=tuple(self.rng.sample(SECTORS, k=sector_count)),
            check_min=check[0], check_max=check[1], min_track_record=track,
            esg_required=self.rng.random() < esg_p, emerging_manager=emerging,
            actively_looking=self.rng.random() < 0.6, home_region=hq_region,
        )  # fmt: skip
        org_id = self.new_id()
        domain = re.sub(r"[^a-z]+", "", name.lower())[:24] + f"{index}.{DEMO_DOMAIN}"
        website = f"https://{domain}" if self.rng.random() < 0.85 else None
        self.add(
            "organizations", org_id, name, False, True, website, country, self.days_ago(60, 2000)
        )
        for _ in range(self.rng.choice((0, 1, 1, 2, 2, 3))):
            self.person(org_id, domain, self.rng.choice(names.LP_TITLES))
        self.lp_profile(org_id, facts, place, fund_size)
        return Lp(
            org_id, facts, frozenset(c for g in geographies for c in regions_covering(g)), fund_size
        )

    def lp_name(self, lp_type: str, place: str) -> str:
        patterns = list(names.LP_NAME_PATTERNS[lp_type])
        self.rng.shuffle(patterns)
        words = {
            "place": place,
            "surname": self.rng.choice(names.LAST_NAMES),
            "word": self.rng.choice(names.FIRM_WORDS),
        }
        return self.unique_name([p.format(**words) for p in patterns])

    def lp_strategies(self, lp_type: str) -> list[str]:
        weights = LP_STRATEGY_WEIGHTS[lp_type]
        chosen: list[str] = []
        for _ in range(self.rng.choice((1, 2, 2, 3, 3, 4))):
            code = self.pick(weights)
            parent = strategy_parent(code)
            if code not in chosen and parent not in chosen:
                chosen = [c for c in chosen if strategy_parent(c) != code] + [code]
        return chosen

    def lp_geographies(self, hq_region: str, lp_type: str) -> list[str]:
        if self.rng.random() < (0.4 if lp_type in ("sovereign_wealth", "fund_of_funds") else 0.12):
            return ["global"]
        regions = [hq_region]
        for _ in range(self.rng.choice((0, 0, 1, 2))):
            other = self.pick(HQ_REGION_WEIGHTS)
            if other not in regions:
                regions.append(other)
        return regions

    def lp_profile(
        self, org_id: uuid.UUID, lp: LpFacts, place: str, fund_size: tuple[float, float]
    ) -> None:
        def maybe(value: Any, p_missing: float) -> Any:
            return None if self.rng.random() < p_missing else value

        has_checks, has_sizes = self.rng.random() > 0.08, self.rng.random() > 0.1
        verified = maybe(self.days_ago(5, 900), 0.12)
        self.add("lp_profiles", org_id, lp.lp_type, maybe(lp.aum, 0.04),
                 maybe(lp.allocation_pct, 0.15),
                 list(lp.strategies), list(lp.regions), list(lp.sectors),
                 lp.check_min if has_checks else None, lp.check_max if has_checks else None,
                 fund_size[0] if has_sizes else None, fund_size[1] if has_sizes else None,
                 maybe(lp.min_track_record, 0.3), maybe(lp.esg_required, 0.1),
                 maybe(lp.emerging_manager, 0.1), maybe(lp.actively_looking, 0.2), lp.regions[0],
                 maybe(mandate_text(self.rng, lp), 0.05), lp_description(lp, place),
                 verified)  # fmt: skip

    # --- history ---------------------------------------------------------------------------
    def commitments(self, lps: list[Lp], manager_count: int) -> None:
        managers = []
        for _ in range(manager_count):
            strategy = self.rng.choice(FUND_STRATEGIES)
            word = self.rng.choice(names.FIRM_WORDS)
            managers.append((f"{word} {self.rng.choice(names.GP_SUFFIXES[strategy])}", strategy))
        by_parent: dict[str, list[tuple[str, str]]] = {}
        for entry in managers:
            by_parent.setdefault(strategy_parent(entry[1]), []).append(entry)
        for lp in lps:
            for _ in range(self.rng.choice((0, 0, 1, 2, 3, 4, 5, 6))):
                wanted = strategy_parent(self.rng.choice(lp.facts.strategies))
                manager, fund_strategy = self.rng.choice(by_parent.get(wanted) or managers)
                vintage = self.rng.randint(self.as_of.year - 14, self.as_of.year - 1)
                source = self.pick({k: v[0] for k, v in INVESTMENT_SOURCES.items()})
                amount = _nice(self.rng.uniform(lp.facts.check_min, lp.facts.check_max))
                fund_name = f"{manager} Fund {names.roman(self.rng.randint(1, 9))}"
                committed = date(vintage, self.rng.randint(1, 12), self.rng.randint(1, 28))
                self.add("investments", self.new_id(), lp.org_id, None, fund_name, manager,
                         fund_strategy, vintage, amount, committed, source,
                         INVESTMENT_SOURCES[source][1])  # fmt: skip

    def outcomes_and_pipeline(self, funds: list[Fund], lps: list[Lp]) -> None:
        for fund in funds:
            if fund.status == "draft":
                continue
            pool = self.rng.sample(lps, k=min(len(lps), 150))
            ranked = sorted(
                pool, key=lambda lp: _fit(fund, lp) + self.rng.uniform(0, 0.35), reverse=True
            )
            if fund.status in ("first_close", "final_close", "closed"):
                for lp in ranked[: self.rng.randint(15, 35)]:
                    self.outcome(fund, lp)
            else:
                for lp in ranked[: self.rng.randint(6, 20)]:
                    self.pipeline(fund, lp, self.rng.choice(PIPELINE_STAGES))

    def outcome(self, fund: Fund, lp: Lp) -> None:
        fit = _fit(fund, lp)
        roll = self.rng.random()
        if roll < 0.08 + 0.5 * fit:
            outcome, stage = "committed", "invested"
        elif roll < 0.3 + 0.5 * fit:
            outcome, stage = "declined_after_meeting", "lp_passed"
        elif roll < 0.75:
            outcome, stage = "declined_before_meeting", "lp_passed"
        else:
            outcome, stage = "no_response", "lp_reviewing"
        amount = (
            _nice(self.rng.uniform(lp.facts.check_min, lp.facts.check_max))
            if outcome == "committed"
            else None
        )
        recorded = self.days_ago(30, 700)
        self.add(
            "match_outcomes",
            self.new_id(),
            fund.id,
            fund.org_id,
            lp.org_id,
            outcome,
            amount,
            None,
            self.rng.choice(fund.people),
            recorded,
        )
        self.pipeline(fund, lp, stage, when=recorded)
        if outcome == "committed":
            self.add("investments", self.new_id(), lp.org_id, fund.id, _fund_name(fund),
                     fund.manager, fund.strategy,
                     fund.vintage, amount, recorded.date(), "manager_reported", 1.0)  # fmt: skip

    def pipeline(self, fund: Fund, lp: Lp, stage: str, when: datetime | None = None) -> None:
        interest = {"gp_interested": "interested", "gp_passed": "not_interested"}.get(
            stage, None if stage == "recommended" else "pursuing")  # fmt: skip
        reason = self.rng.choice(DISMISS_REASONS) if interest == "not_interested" else None
        next_step = NEXT_STEPS.get(stage)
        self.add(
            "fund_lp_status",
            self.new_id(),
            fund.id,
            fund.org_id,
            lp.org_id,
            interest,
            reason,
            stage,
            next_step,
            None,
            when or self.days_ago(0, 90),
            self.rng.choice(fund.people),
        )


def _nice(value: float) -> float:
    """Round to two significant figures, as people quote ticket and fund sizes."""
    if value <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(value)))
    return float(round(value, digits))


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
