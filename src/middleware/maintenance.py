"""Maintenance mode (MAINTENANCE_MODE=true): every page and API call answers 503.

Health checks keep answering (so the platform does not restart the service in a loop) and
static files still load (the maintenance page uses them).
"""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from src.errors import body_for_status, render_error

OPEN_PREFIXES = ("/health", "/static/")
RETRY_AFTER_SECONDS = "600"
MESSAGE = (
    "LPxGP is down for planned maintenance and will be back shortly. Nothing you saved is affected."
)


class MaintenanceMiddleware:
    """Answer 503 with a maintenance notice while maintenance mode is on."""

    def __init__(self, app: ASGIApp, *, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if not self.enabled or scope["type"] != "http" or scope["path"].startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        error = replace(body_for_status(503, MESSAGE), title="Down for maintenance",
                        headers={"Retry-After": RETRY_AFTER_SECONDS})  # fmt: skip
        await render_error(Request(scope, receive), error)(scope, receive, send)
