"""How numbers read in sentences, pages and exports."""

from __future__ import annotations


def money(value: object) -> str:
    """Millions of dollars as people read them: $850m, $1.2bn, or a dash when unknown."""
    if value is None:
        return "—"
    amount = float(str(value))
    if amount >= 1000:
        return f"${amount / 1000:,.1f}bn".replace(".0bn", "bn")
    return f"${amount:,.0f}m" if amount >= 1 or amount == 0 else f"${amount:,.2f}m"


def csv_cell(value: object) -> str:
    """A CSV cell: lists joined by ";", formula-like text defused (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def file_slug(text: str, fallback: str) -> str:
    """An ASCII file-name part: `Æsir Ventures 日本` → `sir-ventures` (or `fallback`)."""
    name = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in name.split("-") if part) or fallback
