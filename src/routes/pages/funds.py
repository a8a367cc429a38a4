"""Fund pages: list, create, edit, publish, close, and the fund overview."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from src.db.queries.funds import list_track_records
from src.deps import CurrentUser, Db, Member, Now
from src.errors import DomainError, Forbidden
from src.routes.forms import field_errors
from src.services import funds, matches
from src.services.taxonomy import (
    FUND_STATUSES,
    FUND_STRATEGIES,
    REGION_LABELS,
    REGIONS,
    SECTORS,
    STRATEGY_LABELS,
)
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
TRACK_ROWS = 3
TRACK_FIELDS = ("name", "vintage_year", "size_musd", "net_irr_pct", "tvpi")


def gp_user(user: User) -> User:
    """Fund pages belong to a GP organisation."""
    if user.org_id is None:
        raise Forbidden("Funds belong to a GP organisation; your account is not part of one.")
    return user


def options() -> dict[str, Any]:
    """Choices the fund form offers."""
    return {
        "statuses": [(s, s.replace("_", " ").capitalize()) for s in FUND_STATUSES],
        "strategies": [(s, STRATEGY_LABELS.get(s, s)) for s in FUND_STRATEGIES],
        "regions": [(r, REGION_LABELS.get(r, r)) for r in REGIONS],
        "sectors": [(s, s.replace("_", " ").capitalize()) for s in SECTORS],
    }


def form_to_data(form: FormData) -> dict[str, Any]:
    """The fund form's fields as FundInput data (track record rows become a list)."""
    regions = [g for g in form.getlist("geographies") if isinstance(g, str)]
    countries = [
        c.strip().upper()
        for c in str(form.get("countries") or "").replace(";", ",").split(",")
        if c.strip()
    ]
    records = []
    rows = str(form.get("track_rows") or "")
    count = min(int(rows), funds.MAX_TRACK_RECORDS + 1) if rows.isdigit() else TRACK_ROWS
    for i in range(count):
        row = {f: str(form.get(f"track-{i}-{f}") or "").strip() for f in TRACK_FIELDS}
        if any(row.values()):
            records.append(row)
    return {
        "name": str(form.get("name") or ""),
        "fund_number": str(form.get("fund_number") or ""),
        "status": str(form.get("status") or "draft"),
        "strategy": str(form.get("strategy") or ""),
        "target_size_musd": str(form.get("target_size_musd") or ""),
        "hard_cap_musd": str(form.get("hard_cap_musd") or ""),
        "geographies": regions + countries,
        "sectors": [s for s in form.getlist("sectors") if isinstance(s, str)],
        "thesis": str(form.get("thesis") or ""),
        "team_summary": str(form.get("team_summary") or ""),
        "has_esg_policy": form.get("has_esg_policy") == "on",
        "esg_policy_text": str(form.get("esg_policy_text") or ""),
        "is_emerging_manager": form.get("is_emerging_manager") == "on",
        "first_close_on": str(form.get("first_close_on") or ""),
        "track_records": records,
    }


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    """Stored or submitted fund data as the form shows it (regions ticked, countries typed)."""
    values = {k: ("" if v is None else v) for k, v in data.items() if k != "track_records"}
    geographies = list(data.get("geographies") or [])
    values["geographies"] = [g for g in geographies if g in REGIONS]
    values["countries"] = ", ".join(g for g in geographies if g not in REGIONS)
    values["sectors"] = list(data.get("sectors") or [])
    records = [
        {f: ("" if r.get(f) is None else r.get(f)) for f in TRACK_FIELDS}
        for r in data.get("track_records") or []
    ]
    values["track_records"] = records + [dict.fromkeys(TRACK_FIELDS, "")] * max(
        1, TRACK_ROWS - len(records)
    )
    return values


def _form(
    request: Request,
    user: User,
    *,
    values: dict[str, Any],
    fund_id: uuid.UUID | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "values": values,
        "errors": errors or {},
        "message": message,
        "fund_id": fund_id,
        "options": options(),
    }
    return templates.TemplateResponse(request, "funds/form.html", context, status_code=status_code)


@router.get("/funds", response_class=HTMLResponse)
async def list_page(request: Request, user: CurrentUser, db: Db) -> Response:
    gp_user(user)
    rows = await funds.list_funds(db, user)
    context = {"user": user, "funds": rows, "strategy_labels": STRATEGY_LABELS}
    return templates.TemplateResponse(request, "funds/index.html", context)


@router.get("/funds/new", response_class=HTMLResponse)
async def new_page(request: Request, user: Member) -> Response:
    gp_user(user)
    return _form(request, user, values=form_values({"status": "draft"}))


@router.post("/funds", response_class=HTMLResponse)
async def create(request: Request, user: Member, db: Db, now: Now) -> Response:
    gp_user(user)
    data = form_to_data(await request.form())
    try:
        fund = await funds.create(db, user, funds.parse(data))
    except DomainError as exc:
        return _form(
            request,
            user,
            values=form_values(data),
            errors=field_errors(exc),
            message=exc.message,
            status_code=exc.status_code,
        )
    await matches.refresh_published(
        db, fund.id, fund.status, embeddings=request.app.state.embeddings, now=now
    )
    return RedirectResponse(f"/funds/{fund.id}?saved=1", status_code=303)


async def fund_page(
    request: Request, db: Db, user: User, fund_id: uuid.UUID, status_code: int = 200, **extra: Any
) -> Response:
    """The fund overview, optionally with a message (a refused action, a refused deck)."""
    fund = await funds.get(db, fund_id, user.org_id)
    context = {
        "user": user,
        "fund": fund,
        "records": await list_track_records(db, fund_id=fund_id),
        "strategy_labels": STRATEGY_LABELS,
        "region_labels": REGION_LABELS,
        "saved": request.query_params.get("saved") == "1",
        "errors": {},
        **extra,
    }
    return templates.TemplateResponse(
        request, "funds/detail.html", context, status_code=status_code
    )


@router.get("/funds/{fund_id}", response_class=HTMLResponse)
async def detail(request: Request, fund_id: uuid.UUID, user: CurrentUser, db: Db) -> Response:
    gp_user(user)
    return await fund_page(request, db, user, fund_id)


@router.get("/funds/{fund_id}/edit", response_class=HTMLResponse)
async def edit_page(request: Request, fund_id: uuid.UUID, user: Member, db: Db) -> Response:
    gp_user(user)
    fund = await funds.get(db, fund_id, user.org_id)
    records = await list_track_records(db, fund_id=fund_id)
    return _form(request, user, values=form_values(funds.to_input(fund, records)), fund_id=fund_id)


@router.post("/funds/{fund_id}", response_class=HTMLResponse)
async def update(request: Request, fund_id: uuid.UUID, user: Member, db: Db, now: Now) -> Response:
    gp_user(user)
    data = form_to_data(await request.form())
    try:
        fund = await funds.update(db, user, fund_id, funds.parse(data))
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return _form(
            request,
            user,
            values=form_values(data),
            fund_id=fund_id,
            errors=field_errors(exc),
            message=exc.message,
            status_code=exc.status_code,
        )
    await matches.refresh_published(
        db, fund.id, fund.status, embeddings=request.app.state.embeddings, now=now
    )
    return RedirectResponse(f"/funds/{fund.id}?saved=1", status_code=303)


@router.post("/funds/{fund_id}/status", response_class=HTMLResponse)
async def change_status(
    request: Request, fund_id: uuid.UUID, user: Member, db: Db, now: Now
) -> Response:
    gp_user(user)
    form = await request.form()
    status = str(form.get("status") or "")
    try:
        fund = await funds.set_status(db, user, fund_id, status)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await fund_page(
            request, db, user, fund_id, exc.status_code, message=exc.message,
            errors=field_errors(exc),
        )  # fmt: skip
    await matches.refresh_published(
        db, fund.id, fund.status, embeddings=request.app.state.embeddings, now=now
    )
    return RedirectResponse(f"/funds/{fund.id}?saved=1", status_code=303)
