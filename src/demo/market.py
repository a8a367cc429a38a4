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

from src.demo import history, names
from src.demo import lps as lps_module
from src.demo.shapes import (
    DEMO_DOMAIN,
    FUND_AGE,
    FUND_SHAPE,
    HQ_REGION_WEIGHTS,
    LIVE_STATUS_WEIGHTS,
    Fund,
)
from src.demo.texts import FundFacts, fund_thesis
from src.services.taxonomy import (
    COUNTRY_REGION,
    FUND_STRATEGIES,
    LP_TYPES,
    SECTORS,
    STRATEGY_LABELS,
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
    lp_list = [lps_module.make_lp(builder, i) for i in range(lps)]
    history.commitments(builder, lp_list, max(60, lps // 25))
    history.outcomes_and_pipeline(builder, fund_list, lp_list)
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
        median = FUND_SHAPE[strategy][0]
        target = (
            round(median * math.exp(self.rng.gauss(0, 0.5)) * (1 + 0.25 * (number - 1)), -1) or 10.0
        )
        age = FUND_AGE.get(status, self.rng.randint(2, 8))
        vintage = self.as_of.year - age
        geographies = self.fund_geographies(region, country)
        sectors = self.rng.sample(SECTORS, k=self.rng.choice((0, 1, 2, 2, 3)))
        esg = self.rng.random() < 0.65
        emerging = number <= 2
        facts = FundFacts(manager, strategy, tuple(geographies), tuple(sectors), target, number)
        fund_id = self.new_id()
        first_close = self.first_close(status, vintage)
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
        self.track_records(fund_id, org_id, manager, number, target, vintage, founded, strategy)
        return Fund(
            fund_id,
            org_id,
            strategy,
            status,
            target,
            tuple(geographies),
            esg,
            emerging,
            vintage,
            people,
            manager,
        )

    def fund_geographies(self, region: str, country: str) -> list[str]:
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
        return list(dict.fromkeys(geographies))

    def first_close(self, status: str, vintage: int) -> date | None:
        if status in ("first_close", "final_close", "closed"):
            return date(vintage, self.rng.randint(1, 12), self.rng.randint(1, 28))
        if status == "raising":
            return self.as_of + timedelta(days=self.rng.randint(30, 240))
        return None

    def track_records(
        self,
        fund_id: uuid.UUID,
        org_id: uuid.UUID,
        manager: str,
        number: int,
        target: float,
        vintage: int,
        founded: int,
        strategy: str,
    ) -> None:
        """Prior funds 1 .. number-1, about three years apart, with plausible returns."""
        _, irr_mean, irr_sd = FUND_SHAPE[strategy]
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
