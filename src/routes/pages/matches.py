"""Match pages: a fund's ranked matches, one match, the shortlist, outreach, pipeline actions.

Actions answer htmx with the changed fragment (a card, the list) and plain form posts with a
redirect back, so every button works without JavaScript too.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from src.db.queries.matches import MatchRow
from src.deps import CurrentUser, Db, IsHtmx, Member, Now
from src.errors import DomainError, InvalidInput, safe_next
from src.routes.api.v1.matches import count_cache
from src.routes.forms import field_errors
from src.routes.pages.funds import gp_user
from src.services import debates, funds, lps, matches, pipeline, pitches
from src.services.formatting import file_slug
from src.services.lps import LpType
from src.services.matches import MatchQuery
from src.services.taxonomy import LP_TYPE_LABELS, REGION_LABELS, STRATEGY_LABELS
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]
UI_MIN_SCORE = 50

LABELS = {
    "stages": pipeline.STAGE_LABELS,
    "reasons": pipeline.DISMISS_REASONS,
    "outcomes": pipeline.OUTCOMES,
    "types": LP_TYPE_LABELS,
    "strategies": STRATEGY_LABELS,
    "regions": REGION_LABELS,
}


def _safe_back(request: Request, fallback: str) -> str:
    """Where a plain form post returns to: a same-site path from the form, else `fallback`."""
    target = request.query_params.get("next")
    return safe_next(target) if target else fallback


@router.get("/funds/{fund_id}/matches", response_class=HTMLResponse)
async def fund_matches(
    request: Request,
    fund_id: uuid.UUID,
    user: CurrentUser,
    db: Db,
    now: Now,
    htmx: IsHtmx,
    min_score: Annotated[float, Query(ge=0, le=100)] = UI_MIN_SCORE,
    type: Annotated[list[LpType], Query()] = [],  # noqa: A002, B006
    dismissed: bool = False,
    page: Annotated[int, Query(ge=1, le=400)] = 1,
) -> Response:
    gp_user(user)
    fund = await funds.get(db, fund_id, user.org_id)
    query = MatchQuery(
        min_score=min_score,
        type=type,
        include_dismissed=dismissed,
        limit=25,
        offset=(page - 1) * 25,
    )
    result = None
    if fund.status != "draft":
        result = await matches.list_for_fund(
            db, user, fund_id, query, embeddings=request.app.state.embeddings, now=now, fund=fund
        )
        count_cache(request, result)
    context = {
        "user": user,
        "fund": fund,
        "result": result,
        "query": query,
        "page": page,
        "labels": LABELS,
        "lp_types": list(LP_TYPE_LABELS.items()),
        "analysis_queue": request.app.state.settings.batch_debates_per_fund,
    }
    response = templates.TemplateResponse(
        request, "matches/list.html", context, block_name="results" if htmx else None
    )
    response.headers["Vary"] = "HX-Request"
    return response


async def _card(
    request: Request, db: Db, user: User, match_id: uuid.UUID, **extra: Any
) -> Response:
    match = await matches.get(db, user, match_id)
    context = {"user": user, "m": match, "labels": LABELS, **extra}
    return templates.TemplateResponse(request, "matches/_card.html", context)


async def _after(
    request: Request, db: Db, user: User, match: MatchRow, htmx: bool, **extra: Any
) -> Response:
    if htmx and request.headers.get("hx-target", "").startswith("match-"):
        return await _card(request, db, user, match.id, **extra)
    return RedirectResponse(_safe_back(request, f"/matches/{match.id}"), status_code=303)


@router.post("/matches/{match_id}/interest", response_class=HTMLResponse)
async def interest(
    request: Request,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    htmx: IsHtmx,
    interest: FormStr = "interested",
) -> Response:
    match = await matches.get(db, user, match_id)
    await pipeline.shortlist(db, user, match.fund_id, match.lp_org_id, interest)
    return await _after(request, db, user, match, htmx)


@router.post("/matches/{match_id}/dismiss", response_class=HTMLResponse)
async def dismiss(
    request: Request,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    htmx: IsHtmx,
    reason: FormStr = "",
    note: FormStr = "",
) -> Response:
    match = await matches.get(db, user, match_id)
    try:
        await pipeline.dismiss(db, user, match.fund_id, match.lp_org_id, reason, note)
    except InvalidInput as exc:
        if htmx:
            return await _card(request, db, user, match_id, error=exc.message)
        raise
    return await _after(request, db, user, match, htmx, just_dismissed=True)


@router.post("/matches/{match_id}/restore", response_class=HTMLResponse)
async def restore(
    request: Request, match_id: uuid.UUID, user: Member, db: Db, htmx: IsHtmx
) -> Response:
    match = await matches.get(db, user, match_id)
    await pipeline.restore(db, user, match.fund_id, match.lp_org_id)
    return await _after(request, db, user, match, htmx)


@router.get("/matches/{match_id}/gone", response_class=HTMLResponse)
async def gone(match_id: uuid.UUID, user: CurrentUser, db: Db) -> Response:
    """After the undo window: the dismissed card leaves the list (unless it was restored)."""
    match = await matches.get(db, user, match_id)
    if match.interest == "not_interested":
        return HTMLResponse("")
    return HTMLResponse(status_code=204)


@router.get("/matches/{match_id}/why", response_class=HTMLResponse)
async def why(request: Request, match_id: uuid.UUID, user: CurrentUser, db: Db) -> Response:
    """The factor bars of one match (loaded when a card's "why this match?" opens)."""
    match = await matches.get(db, user, match_id)
    return templates.TemplateResponse(request, "matches/_why.html", {"m": match})


@router.post("/matches/{match_id}/feedback", response_class=HTMLResponse)
async def feedback(
    request: Request,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    htmx: IsHtmx,
    rating: FormStr = "",
    comment: FormStr = "",
) -> Response:
    match = await matches.get(db, user, match_id)
    value = int(rating) if rating in ("1", "-1") else 0
    await pipeline.feedback(db, user, match_id, value, comment)
    return await _after(request, db, user, match, htmx, thanked=True)


@router.post("/funds/{fund_id}/matches/shortlist", response_class=HTMLResponse)
async def bulk_shortlist(
    request: Request, fund_id: uuid.UUID, user: Member, db: Db, now: Now
) -> Response:
    form = await request.form()
    ids = [str(v) for v in form.getlist("match")]
    added = 0
    for raw in ids:
        try:
            match_id = uuid.UUID(raw)
        except ValueError:
            raise InvalidInput("That is not a match id.") from None
        match = await matches.get(db, user, match_id)
        if match.fund_id != fund_id:
            raise InvalidInput("Those matches belong to another fund.")
        await pipeline.shortlist(db, user, fund_id, match.lp_org_id, "interested")
        added += 1
    return RedirectResponse(f"/funds/{fund_id}/matches?shortlisted={added}", status_code=303)


@router.get("/matches/{match_id}", response_class=HTMLResponse)
async def match_detail(
    request: Request, match_id: uuid.UUID, user: CurrentUser, db: Db
) -> Response:
    gp_user(user)
    return await _detail(request, db, user, match_id)


async def _detail(
    request: Request,
    db: Db,
    user: User,
    match_id: uuid.UUID,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    match = await matches.get(db, user, match_id)
    lp = await lps.get_lp_page(db, match.lp_org_id)
    debate = await debates.latest(db, user, match_id)
    context = {
        "debate": debate,
        "pitches": await pitches.for_match(db, user, match_id),
        "match_id": match_id,
        "user": user,
        "m": match,
        "lp": lp,
        "factors": matches.factor_bars(match),
        "labels": LABELS,
        "errors": {},
        "values": {},
        **extra,
    }
    return templates.TemplateResponse(
        request, "matches/detail.html", context, status_code=status_code
    )


async def _act(
    request: Request,
    db: Db,
    user: User,
    match_id: uuid.UUID,
    action: Callable[[MatchRow], Awaitable[object]],
    values: dict[str, str],
) -> Response:
    """Run a pipeline action, then go back where the form came from.

    A refusal shows the match page again with the message and the user's input.
    """
    match = await matches.get(db, user, match_id)
    try:
        await action(match)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _detail(
            request, db, user, match_id, exc.status_code, message=exc.message,
            errors=field_errors(exc), values=values,
        )  # fmt: skip
    return RedirectResponse(_safe_back(request, f"/matches/{match_id}"), status_code=303)


@router.post("/matches/{match_id}/stage", response_class=HTMLResponse)
async def stage(
    request: Request,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    stage: FormStr = "",
    next_step: FormStr = "",
) -> Response:
    async def move(m: MatchRow) -> object:
        return await pipeline.move(db, user, m.fund_id, m.lp_org_id, stage, next_step=next_step)

    return await _act(request, db, user, match_id, move, {"stage": stage})


@router.post("/matches/{match_id}/notes", response_class=HTMLResponse)
async def notes(
    request: Request,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    notes: FormStr = "",
    next_step: FormStr = "",
) -> Response:
    async def save(m: MatchRow) -> object:
        return await pipeline.set_notes(db, user, m.fund_id, m.lp_org_id, notes, next_step)

    return await _act(request, db, user, match_id, save, {"notes": notes, "next_step": next_step})


@router.post("/matches/{match_id}/outcome", response_class=HTMLResponse)
async def outcome(
    request: Request,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    outcome: FormStr = "",
    amount_musd: FormStr = "",
    outcome_notes: FormStr = "",
) -> Response:
    values = {"outcome": outcome, "amount_musd": amount_musd, "outcome_notes": outcome_notes}

    async def record(m: MatchRow) -> object:
        try:
            amount = Decimal(amount_musd) if amount_musd.strip() else None
        except InvalidOperation:
            raise InvalidInput(
                "The amount must be a number of $ millions.",
                details=[{"field": "amount_musd", "message": "Enter a number, in $ millions."}],
            ) from None
        return await pipeline.record_outcome(
            db, user, m.fund_id, m.lp_org_id, outcome, amount_musd=amount, notes=outcome_notes
        )

    return await _act(request, db, user, match_id, record, values)


@router.get("/funds/{fund_id}/shortlist", response_class=HTMLResponse)
async def shortlist(request: Request, fund_id: uuid.UUID, user: CurrentUser, db: Db) -> Response:
    gp_user(user)
    assert user.org_id is not None
    fund = await funds.get(db, fund_id, user.org_id)
    rows = await pipeline.outreach(db, user.org_id, fund_id=fund_id, shortlisted_only=True)
    context = {"user": user, "fund": fund, "rows": rows, "labels": LABELS}
    return templates.TemplateResponse(request, "matches/shortlist.html", context)


@router.get("/funds/{fund_id}/shortlist.csv")
async def shortlist_csv(fund_id: uuid.UUID, user: CurrentUser, db: Db) -> Response:
    gp_user(user)
    assert user.org_id is not None
    fund = await funds.get(db, fund_id, user.org_id)
    rows = await pipeline.outreach(db, user.org_id, fund_id=fund_id, shortlisted_only=True)
    name = file_slug(fund.name, "fund")
    headers = {"Content-Disposition": f'attachment; filename="{name}-shortlist.csv"'}
    return Response(pipeline.shortlist_csv(rows), media_type="text/csv; charset=utf-8",
                    headers=headers)  # fmt: skip


@router.get("/outreach", response_class=HTMLResponse)
async def outreach(request: Request, user: CurrentUser, db: Db) -> Response:
    gp_user(user)
    assert user.org_id is not None
    rows = await pipeline.outreach(db, user.org_id)
    context = {"user": user, "rows": rows, "labels": LABELS}
    return templates.TemplateResponse(request, "matches/outreach.html", context)
