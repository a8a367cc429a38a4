"""Reading LP files: encodings, delimiters, column names, and normalising each value.

Pure functions (no database): the import service runs them on every row, and the tests run
them on the awkward values real files contain ("$1.2bn", "SFO", "U.K.", "LBO; growth").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from src.services.taxonomy import (
    COUNTRY_NAMES,
    LP_TYPES,
    REGION_LABELS,
    REGIONS,
    STRATEGIES,
    STRATEGY_LABELS,
)

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 10_000

FIELDS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "lp name",
        "lp",
        "investor",
        "investor name",
        "organization",
        "organisation",
        "institution",
    ),
    "lp_type": ("type", "lp type", "investor type", "category", "institution type"),
    "hq_country": ("country", "hq", "hq country", "headquarters", "domicile"),
    "website": ("website", "url", "web", "homepage", "site"),
    "aum_musd": (
        "aum",
        "aum ($m)",
        "aum usd m",
        "aum (usd m)",
        "assets under management",
        "total assets",
    ),
    "private_markets_allocation_pct": (
        "allocation",
        "private markets allocation",
        "pm allocation %",
        "alternatives %",
    ),
    "strategies": ("strategies", "strategy", "asset classes", "preferred strategies", "focus"),
    "geographies": ("geographies", "geography", "regions", "region", "geographic focus"),
    "sectors": ("sectors", "sector", "industries", "industry focus"),
    "check_size_min_musd": (
        "min check",
        "check min",
        "ticket min",
        "min commitment",
        "check size min",
    ),
    "check_size_max_musd": (
        "max check",
        "check max",
        "ticket max",
        "max commitment",
        "check size max",
    ),
    "fund_size_min_musd": ("min fund size", "fund size min"),
    "fund_size_max_musd": ("max fund size", "fund size max"),
    "min_track_record_years": ("min track record", "track record years", "min years"),
    "esg_required": ("esg", "esg required", "requires esg"),
    "emerging_manager_program": (
        "emerging manager",
        "emerging managers",
        "emerging manager program",
        "em programme",
    ),
    "actively_looking": ("actively looking", "looking", "active"),
    "mandate_text": ("mandate", "investment mandate", "mandate text", "investment criteria"),
    "description": ("description", "about", "notes", "profile"),
}
FIELD_LABELS = {
    "name": "Name", "lp_type": "LP type", "hq_country": "Country", "website": "Website", "aum_musd": "AUM",
    "private_markets_allocation_pct": "Private markets %", "strategies": "Strategies",
    "geographies": "Geographies", "sectors": "Sectors", "check_size_min_musd": "Check min",
    "check_size_max_musd": "Check max", "fund_size_min_musd": "Fund size min",
    "fund_size_max_musd": "Fund size max", "min_track_record_years": "Min track record (years)",
    "esg_required": "Requires ESG", "emerging_manager_program": "Emerging-manager programme",
    "actively_looking": "Actively looking", "mandate_text": "Mandate", "description": "Description",
}  # fmt: skip

TYPE_ALIASES = {
    **{t: t for t in LP_TYPES}, **{t.replace("_", " "): t for t in LP_TYPES},
    "pension": "public_pension", "public pension fund": "public_pension", "state pension": "public_pension",
    "corporate pension fund": "corporate_pension", "private pension": "corporate_pension",
    "university endowment": "endowment", "charitable foundation": "foundation",
    "sfo": "family_office", "mfo": "family_office", "single family office": "family_office",
    "multi family office": "family_office", "family offices": "family_office",
    "swf": "sovereign_wealth", "sovereign wealth fund": "sovereign_wealth", "sovereign": "sovereign_wealth",
    "insurer": "insurance", "insurance company": "insurance", "fof": "fund_of_funds",
    "fund of funds manager": "fund_of_funds", "bank": "bank", "private bank": "bank",
    "registered investment adviser": "ria", "registered investment advisor": "ria", "wealth manager": "ria",
}  # fmt: skip

STRATEGY_ALIASES = {
    **{s: s for s in STRATEGIES}, **{label.lower(): code for code, label in STRATEGY_LABELS.items()},
    "pe": "private_equity", "lbo": "private_equity/buyout", "buyouts": "private_equity/buyout",
    "growth": "private_equity/growth", "vc": "venture", "venture": "venture",
    "seed": "venture/early", "early stage": "venture/early", "early-stage venture": "venture/early",
    "late stage": "venture/late", "growth stage venture": "venture/late",
    "private debt": "private_credit", "pc": "private_credit", "credit": "private_credit",
    "direct lending": "private_credit/direct_lending", "senior debt": "private_credit/direct_lending",
    "mezz": "private_credit/mezzanine", "infra": "real_assets/infrastructure",
    "infrastructure": "real_assets/infrastructure", "re": "real_assets/real_estate",
    "real estate": "real_assets/real_estate", "property": "real_assets/real_estate",
    "secondary": "secondaries", "fof": "fund_of_funds", "fund of funds": "fund_of_funds",
}  # fmt: skip

COUNTRY_ALIASES = {
    **{name.lower(): code for code, name in COUNTRY_NAMES.items()}, **{c.lower(): c for c in COUNTRY_NAMES},
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states of america": "US", "america": "US",
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "holland": "NL", "the netherlands": "NL", "korea": "KR", "republic of korea": "KR",
    "uae": "AE", "emirates": "AE", "ksa": "SA", "deutschland": "DE", "schweiz": "CH", "sverige": "SE",
}  # fmt: skip

GEOGRAPHY_ALIASES = {
    **{r: r for r in REGIONS}, **{label.lower(): code for code, label in REGION_LABELS.items()},
    "na": "north_america", "us & canada": "north_america", "emea": "europe", "apac": "asia_pacific",
    "asia": "asia_pacific", "latam": "latin_america", "mena": "middle_east_africa", "africa": "middle_east_africa",
    "scandinavia": "nordics", "nordic": "nordics", "worldwide": "global", "international": "global",
}  # fmt: skip

TRUE = {"yes", "y", "true", "1", "x", "ja", "oui"}
FALSE = {"no", "n", "false", "0", "nein", "non"}
MONEY = re.compile(
    r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>k|m|mm|mn|million|millions|b|bn|billion|billions|t|tn|trillion)?$"
)
UNIT = {None: Decimal(1), "k": Decimal("0.001"), "m": Decimal(1), "mm": Decimal(1), "mn": Decimal(1),
        "million": Decimal(1), "millions": Decimal(1), "b": Decimal(1000), "bn": Decimal(1000),
        "billion": Decimal(1000), "billions": Decimal(1000), "t": Decimal(1_000_000),
        "tn": Decimal(1_000_000), "trillion": Decimal(1_000_000)}  # fmt: skip


class FileRefused(ValueError):
    """The upload is not a CSV we can read; the message says why."""


@dataclass(frozen=True)
class ParsedFile:
    """The decoded file: how it was read, its header and its rows."""

    encoding: str
    delimiter: str
    header: list[str]
    rows: list[list[str]]


def read_csv(data: bytes) -> ParsedFile:
    """Decode (UTF-8, else Latin-1), find the delimiter (`,` or `;`), split into rows."""
    if len(data) > MAX_BYTES:
        raise FileRefused("The file is larger than 50 MB.")
    if not data.strip():
        raise FileRefused("The file is empty.")
    if b"\x00" in data[:8192] or data.startswith((b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRefused(
            "This is not a CSV file (it looks like a spreadsheet, a PDF or UTF-16 text). "
            "Save it as CSV, UTF-8."
        )
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise FileRefused("The file needs a header row and at least one LP.")
    if len(rows) - 1 > MAX_ROWS:
        raise FileRefused(
            f"The file has {len(rows) - 1:,} rows; at most {MAX_ROWS:,} can be imported at once."
        )
    return ParsedFile(encoding, delimiter, [h.strip() for h in rows[0]], rows[1:])


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9$%()&]+", " ", text.lower()).strip()


def suggest_mapping(header: list[str]) -> dict[str, str]:
    """{column: field} for the columns whose name we recognise."""
    mapping: dict[str, str] = {}
    for column in header:
        for target, aliases in FIELDS.items():
            if (
                _key(column) in {_key(a) for a in aliases}
                or _key(column) == target.replace("_", " ")
            ) and target not in mapping.values():
                mapping[column] = target
                break
    return mapping


@dataclass
class Normalised:
    """One row's values in our vocabulary, or the reasons it cannot be imported."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str | None:
        """The website's host without www, for duplicate detection."""
        website = self.values.get("website")
        return urlsplit(website).netloc.removeprefix("www.").lower() if website else None

    @property
    def identity(self) -> tuple[str, str | None]:
        """Normalised name and country, for duplicate detection."""
        return normalise_name(self.values.get("name", "")), self.values.get("hq_country")


def normalise_name(name: str) -> str:
    """How names are compared for duplicates: case, punctuation and spacing ignored."""
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def parse_money(text: str) -> Decimal:
    """Millions of USD from '$1.2bn', '750m', '1,200', '500k' (a bare number is millions)."""
    cleaned = re.sub(r"[$€£,\s]|usd|eur", "", text.lower()).replace("m$", "")
    match = MONEY.match(cleaned.replace(" ", ""))
    if not match:
        raise ValueError(f"'{text}' is not an amount (e.g. 750, 750m, 1.2bn)")
    try:
        value = Decimal(match["number"]) * UNIT[match["unit"]]
    except InvalidOperation as exc:
        raise ValueError(f"'{text}' is not an amount") from exc
    if value > 1_000_000:
        raise ValueError(f"'{text}' is more than $1,000bn")
    return value.quantize(Decimal("0.01"))


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|,]| and ", text) if part.strip()]


def _codes(text: str, aliases: dict[str, str], what: str) -> list[str]:
    codes: list[str] = []
    unknown: list[str] = []
    for part in _split(text):
        code = aliases.get(part.lower().strip(" ."))
        if code:
            codes.append(code)
        else:
            unknown.append(part)
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(unknown)}")
    return list(dict.fromkeys(codes))


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"'{text}' is not yes or no")


def normalise_row(row: list[str], header: list[str], mapping: dict[str, str]) -> Normalised:
    """Map one row through the column mapping and normalise every value."""
    out = Normalised()
    cells = dict(zip(header, row, strict=False))
    for column, target in mapping.items():
        raw = (cells.get(column) or "").strip()
        if not raw:
            continue
        try:
            out.values[target] = _normalise(target, raw)
        except ValueError as exc:
            out.errors.append(f"{FIELD_LABELS[target]}: {exc}")
    if not out.values.get("name"):
        out.errors.append("Name: missing")
    if "lp_type" not in out.values and not any(e.startswith("LP type") for e in out.errors):
        out.errors.append("LP type: missing")
    for low, high, label in (("check_size_min_musd", "check_size_max_musd", "Check size"),
                             ("fund_size_min_musd", "fund_size_max_musd", "Fund size")):  # fmt: skip
        a, b = out.values.get(low), out.values.get(high)
        if a is not None and b is not None and a > b:
            out.errors.append(f"{label}: the minimum is above the maximum")
    return out


def _normalise(target: str, raw: str) -> Any:
    if target == "name":
        name = " ".join(raw.split())
        if len(name) > 300:
            raise ValueError("longer than 300 characters")
        return name
    if target == "lp_type":
        code = TYPE_ALIASES.get(raw.lower().strip(" ."))
        if code is None:
            raise ValueError(f"'{raw}' is not an LP type we know ({', '.join(LP_TYPES)})")
        return code
    if target == "hq_country":
        country = COUNTRY_ALIASES.get(raw.lower().strip())
        if country is None:
            raise ValueError(f"'{raw}' is not a country we know")
        return country
    if target == "website":
        url = raw if re.match(r"^https?://", raw, re.I) else f"https://{raw}"
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
            raise ValueError(f"'{raw}' is not a web address")
        return url
    if target.endswith("_musd"):
        return parse_money(raw)
    if target == "private_markets_allocation_pct":
        value = Decimal(raw.rstrip("% ").replace(",", "."))
        if not 0 <= value <= 100:
            raise ValueError("must be between 0 and 100")
        return value
    if target == "min_track_record_years":
        years = int(raw)
        if not 0 <= years <= 50:
            raise ValueError("must be between 0 and 50")
        return years
    if target == "strategies":
        return _codes(raw, STRATEGY_ALIASES, "strategy")
    if target == "geographies":
        return _codes(raw, {**GEOGRAPHY_ALIASES, **COUNTRY_ALIASES}, "geography")
    if target == "sectors":
        return [part.lower().replace(" ", "_") for part in _split(raw)]
    if target in ("esg_required", "emerging_manager_program", "actively_looking"):
        return _bool(raw)
    return raw
