"""Pitch pages: write one from a match, edit it (every save is a version), copy, download PDF."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from src.deps import CurrentUser, Db, Member
from src.errors import DomainError, InvalidInput
from src.middleware.rate_limit import PITCH_LIMIT, limiter, org_or_user
from src.routes.pages.funds import gp_user
from src.services import pitches
from src.services.formatting import file_slug
from src.services.pitches import PitchEdit, PitchRequest
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


@router.post("/matches/{match_id}/pitches", response_class=HTMLResponse)
@limiter.limit(PITCH_LIMIT, key_func=org_or_user)
async def generate(
    request: Request,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    kind: FormStr = "email",
    tone: FormStr = "warm",
) -> Response:
    gp_user(user)
    try:
        body = PitchRequest.model_validate({"match_id": match_id, "kind": kind, "tone": tone})
    except ValidationError as exc:
        raise InvalidInput(
            "Choose an email or a summary, and a formal, warm or direct tone."
        ) from exc
    view = await pitches.generate(db, user, body, llm=request.app.state.llm)
    return RedirectResponse(f"/pitches/{view.id}", status_code=303)


async def _page(
    request: Request, db: Db, user: User, pitch_id: uuid.UUID, status_code: int = 200,
    **extra: Any,
) -> Response:  # fmt: skip
    view = await pitches.get(db, user, pitch_id)
    context = {"user": user, "p": view, "errors": {}, "values": {}, **extra}
    return templates.TemplateResponse(
        request, "pitches/edit.html", context, status_code=status_code
    )


@router.get("/pitches/{pitch_id}", response_class=HTMLResponse)
async def page(request: Request, pitch_id: uuid.UUID, user: CurrentUser, db: Db) -> Response:
    gp_user(user)
    return await _page(request, db, user, pitch_id, saved=request.query_params.get("saved"))


@router.post("/pitches/{pitch_id}", response_class=HTMLResponse)
async def save(
    request: Request,
    pitch_id: uuid.UUID,
    user: Member,
    db: Db,
    subject: FormStr = "",
    body: FormStr = "",
) -> Response:
    gp_user(user)
    try:
        change = PitchEdit.model_validate({"subject": subject.strip(), "body": body.strip()})
        await pitches.edit(db, user, pitch_id, change)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): "Required (subject up to 200, text up to 8,000 characters)."
                  for e in exc.errors()}  # fmt: skip
        return await _page(request, db, user, pitch_id, 422, errors=errors,
                           values={"subject": subject, "body": body},
                           message="Please fill in the subject and the text.")  # fmt: skip
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _page(request, db, user, pitch_id, exc.status_code, message=exc.message,
                           values={"subject": subject, "body": body})  # fmt: skip
    return RedirectResponse(f"/pitches/{pitch_id}?saved=1", status_code=303)


@router.get("/pitches/{pitch_id}/pdf")
async def download(pitch_id: uuid.UUID, user: CurrentUser, db: Db) -> Response:
    gp_user(user)
    view = await pitches.get(db, user, pitch_id)
    name = file_slug(view.lp_name, "pitch")
    return Response(
        pitches.pdf(view),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="pitch-{name}.pdf"'},
    )
