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
