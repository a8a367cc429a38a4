"""Fund fields proposed from a pitch deck's text by rules (the offline analyst for decks).

Each proposal carries a confidence (0–1) and the words it came from, so the confirm screen can
show the GP why. Nothing here writes anything: the GP accepts or edits each field first.
"""

from __future__ import annotations

import re
from typing import Any, Final

from src.services.taxonomy import COUNTRY_NAMES, FUND_STRATEGIES, REGION_LABELS, SECTORS

ROMAN: Final = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8,
                "IX": 9, "X": 10, "XI": 11, "XII": 12}  # fmt: skip
MONEY = r"(?:US)?\$\s?(\d[\d,]*(?:\.\d+)?)\s*(bn|billion|b|mm|m|million)\b"
NAME = re.compile(
    r"\b((?:[A-Z][\w&'’.-]*\s){1,5}(?:Fund|Partners|Capital|Ventures|Opportunities)\s([IVX]{1,4}))\b"
)
STRATEGY_WORDS: Final = {
    "private_equity/buyout": ("buyout", "lbo", "control investments", "majority stakes"),
    "private_equity/growth": ("growth equity", "growth capital", "minority growth"),
    "venture/early": ("seed", "series a", "early-stage", "early stage", "pre-seed"),
    "venture/late": ("late-stage", "late stage", "series c", "series d", "pre-ipo"),
    "private_credit/direct_lending": ("direct lending", "senior secured", "unitranche",
                                      "first lien"),
    "private_credit/mezzanine": ("mezzanine", "subordinated debt"),
    "real_assets/infrastructure": ("infrastructure", "renewables", "toll roads", "ports"),
    "real_assets/real_estate": ("real estate", "property", "logistics warehouses"),
    "secondaries": ("secondaries", "secondary transactions", "gp-led", "lp stakes"),
    "fund_of_funds": ("fund of funds", "fund-of-funds", "primary fund commitments"),
}  # fmt: skip
SECTOR_WORDS: Final = {
    "technology": ("software", "saas", "technology", "tech-enabled", "cybersecurity"),
    "healthcare": ("healthcare", "health care", "medtech", "pharma", "life sciences"),
    "consumer": ("consumer", "retail", "brands"),
    "industrials": ("industrial", "manufacturing", "engineering"),
    "financial_services": ("financial services", "fintech", "insurance services"),
    "business_services": ("business services", "outsourcing", "b2b services"),
    "energy_transition": ("energy transition", "renewable", "solar", "wind", "decarbon"),
    "climate": ("climate", "carbon", "net zero"),
    "education": ("education", "edtech", "schools"),
    "agriculture": ("agriculture", "agritech", "farmland", "food production"),
    "logistics": ("logistics", "supply chain", "freight"),
    "media_telecom": ("media", "telecom", "fibre", "fiber", "towers"),
}
THESIS_HEADINGS = re.compile(
    r"(?:investment\s+(?:thesis|strategy)|our\s+strategy|strategy)\s*[:\n]", re.IGNORECASE
)
NEXT_SECTION = re.compile(
    r"^(?:track record|team|our team|key terms|terms|performance|contact|disclaimer)\b",
    re.IGNORECASE,
)
TRACK_LINE = re.compile(
    r"((?:[A-Z][\w&'’.-]*\s){1,5}(?:Fund|Partners|Capital|Ventures)\s[IVX]{1,4})\s*\(?((?:19|20)\d\d)\)?"
    r"(?P<rest>[^\n]{0,120})"
)
ESG_WORDS: Final = ("esg policy", "pri signatory", "responsible investment policy",
                    "un pri", "sfdr article 8", "sfdr article 9")  # fmt: skip
EMERGING_WORDS: Final = ("first-time fund", "first time fund", "debut fund", "emerging manager")
assert set(STRATEGY_WORDS) <= set(FUND_STRATEGIES)
assert set(SECTOR_WORDS) == set(SECTORS)


def _musd(amount: str, unit: str) -> float:
    value = float(amount.replace(",", ""))
    return value * 1000 if unit.lower() in ("bn", "billion", "b") else value


def _snippet(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 40) : end + 40].split())


def _proposal(value: Any, confidence: float, evidence: str) -> dict[str, Any]:
    return {"value": value, "confidence": round(confidence, 2), "evidence": evidence[:200]}


def propose(text: str) -> dict[str, dict[str, Any]]:
    """Proposed fund fields from the deck's text; fields with nothing found are left out."""
    found: dict[str, dict[str, Any]] = {}
    lower = text.lower()
    if name := NAME.search(text):
        found["name"] = _proposal(" ".join(name.group(1).split()), 0.8, name.group(0))
        if name.group(2) in ROMAN:
            found["fund_number"] = _proposal(ROMAN[name.group(2)], 0.8, name.group(0))
    for field, pattern, confidence in (
        ("target_size_musd", rf"target(?:ed|ing)?\s+(?:fund\s+)?(?:size\s+)?(?:of\s+|:\s*)?{MONEY}",
         0.85),
        ("hard_cap_musd", rf"hard\s*cap\s*(?:of|:)?\s*{MONEY}", 0.85),
    ):  # fmt: skip
        if money := re.search(pattern, text, re.IGNORECASE):
            found[field] = _proposal(
                _musd(money.group(1), money.group(2)), confidence,
                _snippet(text, money.start(), money.end()),
            )  # fmt: skip
    counts = {s: sum(lower.count(w) for w in words) for s, words in STRATEGY_WORDS.items()}
    best = max(counts, key=lambda s: counts[s])
    if counts[best]:
        word = next(w for w in STRATEGY_WORDS[best] if w in lower)
        found["strategy"] = _proposal(
            best, min(0.9, 0.45 + 0.1 * counts[best]), f"mentions “{word}” ×{counts[best]}"
        )
    geographies = [code for code, label in REGION_LABELS.items() if label.lower() in lower]
    geographies += [
        code for code, label in COUNTRY_NAMES.items() if re.search(rf"\b{re.escape(label)}\b", text)
    ]
    if geographies:
        found["geographies"] = _proposal(
            geographies[:12], 0.6, "names " + ", ".join(geographies[:6])
        )
    sectors = [s for s, words in SECTOR_WORDS.items() if any(w in lower for w in words)]
    if sectors:
        found["sectors"] = _proposal(sectors[:6], 0.55, "mentions " + ", ".join(sectors[:6]))
    if esg := next((w for w in ESG_WORDS if w in lower), None):
        found["has_esg_policy"] = _proposal(True, 0.8, f"mentions “{esg}”")
    if emerging := next((w for w in EMERGING_WORDS if w in lower), None):
        found["is_emerging_manager"] = _proposal(True, 0.6, f"mentions “{emerging.strip()}”")
    if thesis := _thesis(text):
        found["thesis"] = thesis
    records = _track_records(text, found.get("name", {}).get("value"))
    if records:
        found["track_records"] = _proposal(records, 0.6, f"{len(records)} prior funds listed")
    return found


def _thesis(text: str) -> dict[str, Any] | None:
    heading = THESIS_HEADINGS.search(text)
    if heading:
        lines: list[str] = []
        for line in text[heading.end() : heading.end() + 3000].splitlines():
            if lines and (not line.strip() or NEXT_SECTION.match(line.strip())):
                break
            lines.append(line.strip())
        paragraph = " ".join(" ".join(lines).split())
        if len(paragraph) >= 40:
            return _proposal(paragraph[:1200], 0.65, heading.group(0).strip())
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    investing = [p for p in paragraphs if "invest" in p.lower() and len(p) >= 80]
    if investing:
        return _proposal(max(investing, key=len)[:1200], 0.4, "longest paragraph about investing")
    return None


def _track_records(text: str, current_name: str | None) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for line in TRACK_LINE.finditer(text):
        name = " ".join(line.group(1).split())
        if name == current_name or any(r["name"] == name for r in records):
            continue
        rest = line.group("rest")
        record: dict[str, Any] = {"name": name, "vintage_year": int(line.group(2))}
        if size := re.search(MONEY, rest, re.IGNORECASE):
            record["size_musd"] = _musd(size.group(1), size.group(2))
        if tvpi := re.search(r"(\d+(?:\.\d+)?)\s*x\b", rest, re.IGNORECASE):
            record["tvpi"] = float(tvpi.group(1))
        if irr := re.search(r"(-?\d+(?:\.\d+)?)\s*%\s*(?:net\s+)?irr", rest, re.IGNORECASE):
            record["net_irr_pct"] = float(irr.group(1))
        records.append(record)
    return records[:10]
