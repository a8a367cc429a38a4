"""Platform admins work the escalation queue: filter, take, review round by round, decide."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from src.deps import Db, PlatformAdmin
from src.errors import DomainError
from src.routes.forms import field_errors
from src.services import escalations
from src.services.escalations import Resolution
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


@router.get("/admin/escalations", response_class=HTMLResponse)
async def queue(
    request: Request,
    user: PlatformAdmin,
    db: Db,
    status: Annotated[str | None, Query()] = None,
    priority: Annotated[str | None, Query()] = None,
) -> Response:
    rows = await escalations.queue(db, status=status or None, priority=priority or None)
    context = {
        "user": user, "rows": rows, "status": status or "", "priority": priority or "",
        "statuses": escalations.STATUSES, "priorities": escalations.PRIORITIES,
        "kinds": escalations.KIND_LABELS,
    }  # fmt: skip
    return templates.TemplateResponse(request, "admin/escalations.html", context)


async def _review(
    request: Request, db: Db, user: User, escalation_id: uuid.UUID, status_code: int = 200,
    **extra: Any,
) -> Response:  # fmt: skip
    item = await escalations.get(db, escalation_id)
    context = {"user": user, "e": item, "kinds": escalations.KIND_LABELS, "errors": {},
               "reviewers": await escalations.reviewers(db),
               "values": {}, **extra}  # fmt: skip
    return templates.TemplateResponse(
        request, "admin/escalation.html", context, status_code=status_code
    )


@router.get("/admin/escalations/{escalation_id}", response_class=HTMLResponse)
async def review(
    request: Request, escalation_id: uuid.UUID, user: PlatformAdmin, db: Db
) -> Response:
    return await _review(request, db, user, escalation_id)


@router.post("/admin/escalations/{escalation_id}/assign", response_class=HTMLResponse)
async def assign(
    request: Request, escalation_id: uuid.UUID, user: PlatformAdmin, db: Db, reviewer: FormStr = ""
) -> Response:
    try:
        chosen = uuid.UUID(reviewer) if reviewer else None
    except ValueError:
        chosen = uuid.UUID(int=0)  # not a person: refused below with a message
    try:
        await escalations.assign(db, user, escalation_id, chosen)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _review(request, db, user, escalation_id, exc.status_code,
                             message=exc.message)  # fmt: skip
    return RedirectResponse(f"/admin/escalations/{escalation_id}", status_code=303)


@router.post("/admin/escalations/{escalation_id}/take", response_class=HTMLResponse)
async def take(escalation_id: uuid.UUID, user: PlatformAdmin, db: Db) -> Response:
    await escalations.start_review(db, user, escalation_id)
    return RedirectResponse(f"/admin/escalations/{escalation_id}", status_code=303)


@router.post("/admin/escalations/{escalation_id}/resolve", response_class=HTMLResponse)
async def resolve(
    request: Request,
    escalation_id: uuid.UUID,
    user: PlatformAdmin,
    db: Db,
    score: FormStr = "",
    reasoning: FormStr = "",
) -> Response:
    values = {"score": score, "reasoning": reasoning}
    try:
        decision = Resolution.model_validate({"score": score or None, "reasoning": reasoning})
        await escalations.resolve(db, user, escalation_id, decision)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): str(e["msg"]) for e in exc.errors()}
        return await _review(request, db, user, escalation_id, 422, errors=errors, values=values,
                             message="Give a score from 0 to 100 and your reasoning.")  # fmt: skip
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _review(
            request, db, user, escalation_id, exc.status_code, message=exc.message,
            errors=field_errors(exc), values=values,
        )  # fmt: skip
    return RedirectResponse("/admin/escalations?resolved=1", status_code=303)


@router.post("/admin/escalations/{escalation_id}/dismiss", response_class=HTMLResponse)
async def dismiss(escalation_id: uuid.UUID, user: PlatformAdmin, db: Db) -> Response:
    await escalations.dismiss(db, user, escalation_id)
    return RedirectResponse("/admin/escalations?dismissed=1", status_code=303)
