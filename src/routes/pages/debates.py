"""The full analysis on a match page: start the debate, follow it, read it round by round."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from src.db.tenancy import service_transaction
from src.deps import CurrentUser, Db, IsHtmx, Member, PoolDep, SignedIn
from src.errors import Conflict, NotFound
from src.middleware.rate_limit import DEBATE_LIMIT, limiter, user_or_ip
from src.routes.uploads import run_debate_later
from src.services import debates
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)


async def _debate_fragment(
    request: Request, db: Db, user: User, match_id: uuid.UUID, **extra: Any
) -> Response:
    try:
        view = await debates.latest(db, user, match_id)
    except NotFound:
        fund_id = await debates.hidden_for_review(db, user, match_id)
        if fund_id is None:
            raise
        # A deal breaker hid the match while the page watched: back to the fund's matches.
        target = f"/funds/{fund_id}/matches?under_review=1"
        return HTMLResponse("", headers={"HX-Redirect": target})
    context = {"user": user, "match_id": match_id, "debate": view, **extra}
    response = templates.TemplateResponse(request, "matches/_debate.html", context)
    if view is not None and view.status != "running" and request.query_params.get("poll"):
        response.headers["HX-Refresh"] = "true"  # the match's score and reasons changed
    return response


@router.post("/matches/{match_id}/debate", response_class=HTMLResponse)
@limiter.limit(DEBATE_LIMIT, key_func=user_or_ip)
async def start_debate(
    request: Request,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    tasks: BackgroundTasks,
    pool: PoolDep,
    principal: SignedIn,
    htmx: IsHtmx,
) -> Response:
    try:
        debate_id = await debates.start(db, user, match_id, lambda: service_transaction(pool))
    except Conflict as exc:
        if htmx:
            return await _debate_fragment(request, db, user, match_id, error=exc.message)
        raise
    run_debate_later(tasks, pool, principal, user, debate_id, match_id, request.app.state.llm)
    if htmx:
        return await _debate_fragment(request, db, user, match_id)
    return RedirectResponse(f"/matches/{match_id}", status_code=303)


@router.get("/matches/{match_id}/debate", response_class=HTMLResponse)
async def debate_state(
    request: Request, match_id: uuid.UUID, user: CurrentUser, db: Db
) -> Response:
    """The latest debate of a match (polled while it runs)."""
    return await _debate_fragment(request, db, user, match_id)
