"""The public landing page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from src.deps import OptionalUser
from src.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request, user: OptionalUser) -> Response:
    return templates.TemplateResponse(request, "home/landing.html", {"user": user})
