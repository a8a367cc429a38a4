"""Which database the operations commands work on."""

from __future__ import annotations

from src.config import Settings
from src.db.pool import resolve_database


def admin_url(settings: Settings, override: str | None = None) -> str:
    """`override`, else the migrations URL of the configured (or embedded) database."""
    if override:
        return override
    return resolve_database(settings).admin_url
