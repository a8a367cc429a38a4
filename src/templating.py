"""The one Jinja2 environment: full pages, or one block of a page for htmx requests."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from jinja2_fragments.fastapi import Jinja2Blocks

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
templates.env.globals["product_name"] = "LPxGP"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """Return a root-relative URL for a static file, versioned by its content for caching."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


templates.env.globals["static_url"] = static_url


def money(value: object) -> str:
    """Millions of dollars as people read them: $850m, $1.2bn, or a dash when unknown."""
    if value is None:
        return "—"
    amount = float(str(value))
    if amount >= 1000:
        return f"${amount / 1000:,.1f}bn".replace(".0bn", "bn")
    return f"${amount:,.0f}m" if amount >= 1 or amount == 0 else f"${amount:,.2f}m"


templates.env.filters["money"] = money
