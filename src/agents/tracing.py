"""LLM tracing with Langfuse when its keys are set; silent no-ops otherwise (no network, no logs).

One trace per debate (and per pitch) with the fund, LP and organisation ids as metadata, one span
per debate round, one generation per LLM call with model, tokens, cost, latency and prompt
version, and a `debate_quality` score. No prompt or reply text is sent (the facts name LPs and
the drafts are the GP's), so nothing from a deck or about a person leaves through tracing.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from opentelemetry.sdk.trace.export import SpanExporter

from src.config import Settings
from src.monitoring.providers import ProviderStatus, TrackedSpanExporter

logger = logging.getLogger(__name__)

LANGFUSE_TIMEOUT_SECONDS = 5  # the SDK's own default


class _Nothing:
    """Stands in for a Langfuse observation when tracing is off."""

    def update(self, **_: Any) -> None:
        """Nothing to record."""

    def end(self) -> None:
        """Nothing to close."""

    def score_trace(self, **_: Any) -> None:
        """Nothing to score."""


NOTHING = _Nothing()


class Tracing:
    """A thin seam over the Langfuse client (or over nothing)."""

    def __init__(self, client: Any | None) -> None:
        self.client = client

    @property
    def enabled(self) -> bool:
        """Whether traces are sent."""
        return self.client is not None

    @contextmanager
    def trace(self, name: str, metadata: dict[str, str]) -> Iterator[Any]:
        """A root span for one debate or pitch."""
        if self.client is None:
            yield NOTHING
            return
        with self.client.start_as_current_observation(
            as_type="span", name=name, metadata=metadata
        ) as span:
            yield span

    @contextmanager
    def span(self, name: str) -> Iterator[Any]:
        """A child span (a debate round)."""
        if self.client is None:
            yield NOTHING
            return
        with self.client.start_as_current_observation(as_type="span", name=name) as span:
            yield span

    def generation(self, *, name: str, model: str, metadata: dict[str, Any]) -> Any:
        """A started generation (ended by the caller) under the current span."""
        if self.client is None:
            return NOTHING
        return self.client.start_observation(
            as_type="generation", name=name, model=model, metadata=metadata
        )

    def score(self, span: Any, name: str, value: float) -> None:
        """A numeric score on the span's trace."""
        try:
            span.score_trace(name=name, value=value)
        except Exception:  # tracing never breaks the work it observes
            logger.warning("trace_score_failed", exc_info=True)

    def flush(self) -> None:
        """Send what is buffered (tests, batch ends)."""
        if self.client is not None:
            self.client.flush()

    def shutdown(self) -> None:
        """Flush and stop (app exit)."""
        if self.client is not None:
            self.client.shutdown()


def build_tracing(settings: Settings, status: ProviderStatus | None = None) -> Tracing:
    """Langfuse with its own tracer provider when both keys are set, else no tracing.

    With a `status`, each export's result is reported to it (for /health/detailed).
    """
    public = settings.langfuse_public_key
    secret = settings.langfuse_secret_key
    if public is None or secret is None:
        return Tracing(None)
    from langfuse import Langfuse
    from opentelemetry.sdk.trace import TracerProvider

    base_url = settings.langfuse_host or "https://cloud.langfuse.com"
    exporter = None
    if status is not None:
        exporter = TrackedSpanExporter(
            status,
            _otlp_exporter(base_url, public.get_secret_value(), secret.get_secret_value()),
        )
    client = Langfuse(
        public_key=public.get_secret_value(),
        secret_key=secret.get_secret_value(),
        base_url=base_url,
        environment=settings.app_env,
        # Its own provider: our HTTP and database spans never reach Langfuse, and two apps in
        # one process (tests) do not share one exporter.
        tracer_provider=TracerProvider(),
        span_exporter=exporter,
    )
    return Tracing(client)


def _otlp_exporter(base_url: str, public_key: str, secret_key: str) -> SpanExporter:
    """The exporter Langfuse builds by default (same endpoint, headers, timeout, gzip).

    Langfuse wires none of these into an exporter it is given, so they are set here.
    """
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode("ascii")
    return OTLPSpanExporter(
        endpoint=f"{base_url.rstrip('/')}/api/public/otel/v1/traces",
        headers={
            "Authorization": f"Basic {token}",
            "x-langfuse-sdk-name": "python",
            "x-langfuse-sdk-version": metadata.version("langfuse"),
            "x-langfuse-public-key": public_key,
            "x-langfuse-ingestion-version": "4",
        },
        timeout=LANGFUSE_TIMEOUT_SECONDS,
        compression=Compression.Gzip,
    )
