"""Last known status of each external provider, updated by the clients that call them.

Health checks read this instead of spending a call on the provider. The clients report
through `TrackedTransport` (any httpx client: OpenRouter, Supabase Auth and Storage),
`TrackedSpanExporter` (Langfuse's OTLP exporter) or by calling `record_ok` / `record_error`
themselves (Voyage, whose SDK has its own HTTP stack). The status lives in the process: with
several workers, each one reports what it has seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from src.config import Settings

# What a provider answers when the fault is on its side (or it is shedding load).
FAILING_STATUS = 429


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
    def state(self) -> str:
        """Not configured, no calls yet, ok or failing."""
        if not self.configured:
            return "not configured"
        if self.last_error:
            return "failing"
        return "ok" if self.last_ok_at else "no calls yet"

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


def provider_registry(settings: Settings) -> ProviderRegistry:
    """Every external provider the app can call, and whether settings configure it."""
    registry = ProviderRegistry()
    supabase = settings.supabase_url is not None and settings.supabase_service_role_key is not None
    for name, configured in (
        ("openrouter", settings.llm_configured),
        ("voyage", settings.voyage_api_key is not None),
        ("supabase_auth", supabase and settings.supabase_anon_key is not None),
        ("supabase_storage", supabase),
        ("langfuse", settings.langfuse_public_key is not None
         and settings.langfuse_secret_key is not None),
    ):  # fmt: skip
        registry.register(name, configured=configured)
    return registry


class TrackedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that reports each exchange to a provider's status.

    A 5xx or 429 answer, or no answer at all, is a failure; any other answer (a 401 or 404
    included) shows the provider is up.
    """

    def __init__(
        self, status: ProviderStatus, inner: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.status = status
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the inner transport and record what happened."""
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as exc:
            self.status.record_error(type(exc).__name__)
            raise
        code = response.status_code
        if code >= 500 or code == FAILING_STATUS:
            self.status.record_error(f"HTTP {code}")
        else:
            self.status.record_ok()
        return response

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


class TrackedSpanExporter(SpanExporter):
    """A span exporter that reports each export's result to a provider's status."""

    def __init__(self, status: ProviderStatus, inner: SpanExporter) -> None:
        self.status = status
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export through the inner exporter (which retries on its own) and record the result."""
        try:
            result = self.inner.export(spans)
        except Exception as exc:
            self.status.record_error(type(exc).__name__)
            raise
        if result is SpanExportResult.SUCCESS:
            self.status.record_ok()
        else:
            self.status.record_error("export failed")
        return result

    def shutdown(self) -> None:
        """Shut the inner exporter down."""
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the inner exporter."""
        return self.inner.force_flush(timeout_millis)
