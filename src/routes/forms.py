"""Helpers for HTML forms: turn a domain error into the messages a form shows next to fields."""

from __future__ import annotations

from typing import Any

from src.errors import DomainError


def field_errors(exc: DomainError) -> dict[str, str]:
    """{field: message} from an error's details (empty when it names no field)."""
    details: Any = exc.details
    if not isinstance(details, list):
        return {}
    return {
        str(d["field"]): str(d["message"]) for d in details if isinstance(d, dict) and "field" in d
    }
