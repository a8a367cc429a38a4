"""Cross-site request forgery defence for cookie-authenticated writes.

Every POST/PUT/PATCH/DELETE without a bearer token must (1) not come from another site, by
`Sec-Fetch-Site` and `Origin`, and (2) carry the token from the `lpxgp_csrf` cookie, either in
the `X-CSRF-Token` header (htmx sends it from `hx-headers` on <body>) or as the `csrf_token`
field of a urlencoded form (plain forms without JavaScript). The token is random per browser,
set on the first response that lacks it, and readable by templates as
`request.state.csrf_token`. Multipart uploads carry the token in the header only (we do not
parse 50 MB bodies twice; the upload pages need htmx). Bearer-token API calls are exempt (a
browser never adds that header on its own), and so are JSON calls that carry no session
cookie (API sign-in).
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.auth.sessions import CSRF_COOKIE, SESSION_COOKIE, SESSION_MAX_AGE, CookieSpec
from src.errors import body_for_status, render_error

logger = structlog.get_logger("lpxgp.security")

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = "x-csrf-token"
FIELD = "csrf_token"
MAX_FORM_BYTES = 1024 * 1024
EXEMPT_PREFIXES = ("/health", "/static/")


class CSRFMiddleware:
    """Refuse forged writes; hand every page its token."""

    def __init__(self, app: ASGIApp, *, cookies: CookieSpec, public_url: str) -> None:
        self.app = app
        self.cookies = cookies
        parts = urlsplit(public_url)
        self.public_origin = f"{parts.scheme}://{parts.netloc}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        jar = SimpleCookie()
        jar.load(headers.get("cookie", ""))
        morsel = jar.get(self.cookies.name(CSRF_COOKIE))
        cookie_token = morsel.value if morsel and len(morsel.value) >= 32 else None
        token = cookie_token or secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        if scope["method"] in UNSAFE and self._needs_check(headers, jar):
            receive, reason = await self._check(scope, receive, headers, cookie_token)
            if reason is not None:
                logger.warning("csrf_refused", path=scope["path"], reason=reason)
                request = Request(scope)
                body = body_for_status(
                    403,
                    "This form has expired or came from another site. Reload the page and try "
                    "again.",
                )
                response = render_error(request, body)
                await response(scope, receive, send)
                return

        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start" and cookie_token is None:
                MutableHeaders(scope=message).append(
                    "set-cookie", self.cookies.header(CSRF_COOKIE, token, max_age=SESSION_MAX_AGE)
                )
            await send(message)

        await self.app(scope, receive, send_with_token)

    def _needs_check(self, headers: Headers, jar: SimpleCookie) -> bool:
        """Bearer calls and cookie-less JSON calls cannot be forged by a browser; all else can."""
        if headers.get("authorization", "").lower().startswith("bearer "):
            return False
        json_body = headers.get("content-type", "").startswith("application/json")
        # A cross-site page cannot send JSON without a CORS preflight our allow-list refuses,
        # and without our session cookie the call acts for nobody (API sign-in).
        return not (json_body and self.cookies.name(SESSION_COOKIE) not in jar)

    async def _check(
        self, scope: Scope, receive: Receive, headers: Headers, cookie_token: str | None
    ) -> tuple[Receive, str | None]:
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return receive, f"sec-fetch-site {site}"
        origin = headers.get("origin")
        if origin is not None and origin not in (self.public_origin, _own_origin(scope, headers)):
            return receive, "foreign origin"
        if cookie_token is None:
            return receive, "no csrf cookie"
        sent = headers.get(HEADER)
        if sent is None and headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            body, receive = await _buffer(receive)
            if body is None:
                return receive, "form too large"
            values = parse_qs(body.decode("latin-1")).get(FIELD)
            sent = values[0] if values else None
        if sent is None or not hmac.compare_digest(sent.encode(), cookie_token.encode()):
            return receive, "missing or wrong token"
        return receive, None


def _own_origin(scope: Scope, headers: Headers) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


async def _buffer(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read the whole body (bounded), and give the app a receive that replays it."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
