"""Turn an unexpected exception into a generic 500 inside our middleware stack.

Starlette renders handlers for `Exception` in its outermost middleware, outside our security
headers and request log; catching here keeps both on every 500.
"""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.errors import body_for_status, render_error

logger = structlog.get_logger("lpxgp.errors")


class UnhandledErrorMiddleware:
    """Log an unexpected exception once and answer with the generic error response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            logger.exception("unhandled_error", path=scope["path"], method=scope["method"])
            if started:
                raise
            response = render_error(Request(scope, receive), body_for_status(500))
            await response(scope, receive, send)
