"""Last known status of each external provider, updated by the clients that call them.

Health checks read this instead of spending a call on the provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class ProviderStatus:
    """What we last saw from one provider."""

    name: str
    configured: bool
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_ok_at: datetime | None = None

    def record_ok(self) -> None:
        """Note a successful call."""
        self.last_ok_at = datetime.now(UTC)
        self.last_error = None

    def record_error(self, reason: str) -> None:
        """Note a failed call, with a short reason safe to show publicly."""
        self.last_error = reason
        self.last_error_at = datetime.now(UTC)

    @property
    def check(self) -> str:
        """The health-check label: ok, not configured, or error: <reason>."""
        if not self.configured:
            return "not configured"
        return f"error: {self.last_error}" if self.last_error else "ok"


@dataclass
class ProviderRegistry:
    """The status of every provider this process talks to."""

    providers: dict[str, ProviderStatus] = field(default_factory=dict)

    def register(self, name: str, *, configured: bool) -> ProviderStatus:
        """Add a provider (or return the one already there)."""
        return self.providers.setdefault(name, ProviderStatus(name, configured))

    def get(self, name: str) -> ProviderStatus:
        """Return one provider's status."""
        return self.providers[name]
