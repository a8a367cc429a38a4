"""Domain errors, and the one place that turns any error into a page, a fragment or JSON."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from slowapi.errors import RateLimitExceeded
from starlette.exceptions import HTTPException as StarletteHTTPException

from src.templating import templates

logger = logging.getLogger(__name__)

# Postgres refusing "\u0000" in jsonb; psycopg refuses a NUL in text before sending it.
UNTRANSLATABLE_CHARACTER = "22P05"


class DomainError(Exception):
    """Base of every error the application raises on purpose."""

    status_code = 400
    code = "bad_request"
    title = "Something is not right"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The object does not exist, or belongs to another organisation."""

    status_code = 404
    code = "not_found"
    title = "Not found"

    def __init__(self, kind: str, identifier: object = None) -> None:
        super().__init__(f"No {kind} with that id.", details={"kind": kind})
        self.identifier = identifier


class Unauthorized(DomainError):
    """The request carries no valid session or token."""

    status_code = 401
    code = "unauthorized"
    title = "Please sign in"


class Forbidden(DomainError):
    """The user is known but may not do this."""

    status_code = 403
    code = "forbidden"
    title = "Not allowed"


class Conflict(DomainError):
    """The request clashes with the current state of the data."""

    status_code = 409
    code = "conflict"
    title = "Conflict"


class InvalidInput(DomainError):
    """Input passed the type checks but breaks a business rule."""

    status_code = 422
    code = "invalid_input"
    title = "Please check your input"


class ServiceUnavailable(DomainError):
    """A dependency (database, provider) cannot be reached right now."""

    status_code = 503
    code = "unavailable"
    title = "Temporarily unavailable"


@dataclass(frozen=True)
class ErrorBody:
    """What every renderer needs to show an error."""

    status: int
    code: str
    title: str
    message: str
    details: Any = None
    headers: dict[str, str] = field(default_factory=dict)


_STATUS_TEXT = {
    400: ("bad_request", "Bad request", "The request could not be understood."),
    401: ("unauthorized", "Please sign in", "You need to sign in to see this page."),
    403: ("forbidden", "Not allowed", "Your account may not do this."),
    404: ("not_found", "Page not found", "There is nothing at this address."),
    405: ("method_not_allowed", "Method not allowed", "This address does not accept that."),
    413: ("too_large", "Too large", "The upload is larger than we accept."),
    429: ("rate_limited", "Slow down", "Too many requests. Please wait a moment."),
    500: ("internal_error", "Something went wrong", "We hit an unexpected error and logged it."),
    503: ("unavailable", "Temporarily unavailable", "A service we depend on is not answering."),
}


def body_for_status(status: int, message: str | None = None, details: Any = None) -> ErrorBody:
    """Build the error body for a bare HTTP status."""
    code, title, default_message = _STATUS_TEXT.get(
        status, ("error", "Something went wrong", "The request failed.")
    )
    return ErrorBody(status, code, title, message or default_message, details)


def wants_json(request: Request) -> bool:
    """Tell whether the client should get JSON rather than HTML."""
    if request.url.path.startswith("/api/") or request.url.path.startswith("/health"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def is_htmx(request: Request) -> bool:
    """Tell whether htmx made this request for a fragment (not a boosted page load)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-boosted") != "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def render_error(request: Request, error: ErrorBody) -> Response:
    """Render an error as JSON, an htmx fragment or a full page, chosen by the request."""
    headers = {**error.headers, "Vary": "HX-Request, Accept"}
    if wants_json(request):
        payload = {"error": error.message, "code": error.code, "details": error.details}
        return JSONResponse(payload, status_code=error.status, headers=headers)
    template = "errors/_inline.html" if is_htmx(request) else "errors/page.html"
    if is_htmx(request):
        # htmx 2 does not swap 4xx/5xx bodies by default; tell it to show this one.
        headers |= {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return templates.TemplateResponse(
        request, template, {"error": error}, status_code=error.status, headers=headers
    )


def safe_next(path: str | None) -> str:
    """A same-site path to return to after sign-in; anything else becomes the dashboard."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/dashboard"
    return path


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?{urlencode({'next': safe_next(target)})}"
    if is_htmx(request):
        # A 3xx would be followed by fetch and its login page swapped into the fragment.
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, Unauthorized) and not wants_json(request):
        return _sign_in_redirect(request)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else {}
    body = ErrorBody(exc.status_code, exc.code, exc.title, exc.message, exc.details, headers)
    return render_error(request, body)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
    body = body_for_status(exc.status_code, message)
    return render_error(request, replace(body, headers=dict(exc.headers or {})))


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # Echo the location and the reason, never the submitted value (it may be a secret or
    # a script), and never pydantic's internal URLs.
    details = [
        {"field": ".".join(str(part) for part in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]
    fields = ", ".join(d["field"] for d in details)
    body = ErrorBody(
        422, "validation_error", "Please check your input", f"Invalid value for: {fields}.", details
    )
    return render_error(request, body)


def _data_error(request: Request, exc: Exception) -> Response:
    """A value Postgres refuses (class 22: a NUL character, a number out of range…): 422.

    It is the request's fault, not ours, and nothing is written (the transaction rolled back).
    The edge validates what it knows; this catches what only the database knows. The value
    is not echoed; the database's reason goes to our log.
    """
    assert isinstance(exc, psycopg.DataError)
    diag = exc.diag
    reason = diag.message_primary or str(exc)
    logger.info("value_refused_by_database", extra={"sqlstate": diag.sqlstate, "reason": reason})
    message = (
        "Text cannot contain NUL (\\0) characters."
        if diag.sqlstate == UNTRANSLATABLE_CHARACTER or "NUL (0x00)" in reason
        else "One of the values is out of range or malformed."
    )
    return render_error(
        request, ErrorBody(422, "invalid_value", "Please check your input", message)
    )


def _rate_limited(request: Request, exc: Exception) -> Response:
    # Must stay synchronous: slowapi's middleware only calls synchronous handlers.
    assert isinstance(exc, RateLimitExceeded)
    body = body_for_status(429, f"Too many requests: the limit is {exc.detail}.")
    response = render_error(request, body)
    limiter = request.app.state.limiter
    return limiter._inject_headers(response, request.state.view_rate_limit)  # type: ignore[no-any-return]


def register_error_handlers(app: FastAPI) -> None:
    """Map every error type to the one renderer."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RateLimitExceeded, _rate_limited)
    app.add_exception_handler(psycopg.DataError, _data_error)
