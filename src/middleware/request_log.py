"""One JSON log line per request, with a request id that follows every log line it causes."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = structlog.get_logger("lpxgp.request")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.match(candidate) else None
    return None


def _record(scope: Scope, status: int, latency_ms: float) -> None:
    """Count the request in the app's request metrics, by route template (not raw path)."""
    app = scope.get("app")
    metrics = getattr(getattr(app, "state", None), "request_metrics", None)
    if metrics is None or scope["path"].startswith("/static/"):
        return
    route = scope.get("route")
    template = getattr(route, "path", None) or "(no route)"
    metrics.record(f"{scope['method']} {template}", status, latency_ms)


class RequestLogMiddleware:
    """Bind a request id, time the request and log method, path, status and latency."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                # Time to the first byte, shown by browsers' developer tools and read by the
                # load benchmark as the server's share of a request.
                elapsed = (time.perf_counter() - started) * 1000
                headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            latency_ms = round((time.perf_counter() - started) * 1000, 2)
            _record(scope, status, latency_ms)
            logger.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                latency_ms=latency_ms,
                user_id=state.get("user_id"),
            )
            structlog.contextvars.clear_contextvars()
