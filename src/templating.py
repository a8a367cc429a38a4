"""The one Jinja2 environment: full pages, or one block of a page for htmx requests."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from jinja2_fragments.fastapi import Jinja2Blocks

from src.services.formatting import money

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


templates.env.filters["money"] = money
