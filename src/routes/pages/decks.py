"""Pitch decks on the fund page: upload, review the proposed fields, confirm or discard."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from src.db.queries.funds import list_track_records
from src.deps import CurrentUser, Db, Member, Now, StorageDep
from src.errors import DomainError
from src.routes.forms import field_errors
from src.routes.pages.funds import fund_page, gp_user
from src.routes.uploads import read_upload
from src.services import decks, funds
from src.services.decks import MAX_DECK_BYTES
from src.services.matching import engine
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
FIELD_LABELS = {
    "name": "Fund name",
    "fund_number": "Fund number",
    "target_size_musd": "Target size ($m)",
    "hard_cap_musd": "Hard cap ($m)",
    "strategy": "Strategy",
    "geographies": "Geographies",
    "sectors": "Sectors",
    "thesis": "Investment thesis",
    "has_esg_policy": "Has an ESG policy",
    "is_emerging_manager": "Emerging manager",
    "track_records": "Track record",
}
LISTS = ("geographies", "sectors")
FLAGS = ("has_esg_policy", "is_emerging_manager")


def shown(field: str, value: Any) -> str:
    """A proposed or current value as an editable text."""
    if value is None:
        return ""
    if field in LISTS:
        return ", ".join(value)
    if field in FLAGS:
        return "yes" if value else "no"
    if field == "track_records":
        return json.dumps(value)
    return str(value)


def parsed(field: str, text: str) -> Any:
    """An edited text back to the value FundInput validates."""
    text = text.strip()
    if field in LISTS:
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if field in FLAGS:
        return text.lower() in ("yes", "true", "1", "on")
    if field == "track_records":
        try:
            return json.loads(text or "[]")
        except json.JSONDecodeError:
            return text  # FundInput names the field as invalid
    return text


@router.post("/funds/{fund_id}/deck", response_class=HTMLResponse)
async def upload(
    request: Request,
    fund_id: uuid.UUID,
    user: Member,
    db: Db,
    storage: StorageDep,
    file: UploadFile | None = File(None),  # noqa: B008
) -> Response:
    gp_user(user)
    await funds.get(db, fund_id, user.org_id)
    try:
        data = await read_upload(request, file, limit=MAX_DECK_BYTES, kind="PDF deck")
        deck = await decks.upload(
            db, user, storage, fund_id, (file.filename if file else None) or "deck.pdf", data
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await fund_page(
            request, db, user, fund_id, exc.status_code, deck_message=exc.message
        )
    return RedirectResponse(f"/funds/{fund_id}/decks/{deck.id}", status_code=303)


async def _review(
    request: Request,
    db: Db,
    user: User,
    fund_id: uuid.UUID,
    deck_id: uuid.UUID,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    fund = await funds.get(db, fund_id, user.org_id)
    deck = await decks.get(db, fund_id, deck_id)
    current = funds.to_input(fund, await list_track_records(db, fund_id=fund_id))
    rows = [
        {
            "field": field,
            "label": FIELD_LABELS[field],
            "current": shown(field, current.get(field)),
            "proposed": shown(field, p["value"]),
            "confidence": p["confidence"],
            "evidence": p["evidence"],
        }
        for field, p in deck.proposals.items()
        if field in FIELD_LABELS
    ]
    context = {"user": user, "fund": fund, "deck": deck, "rows": rows, "errors": {}, **extra}
    return templates.TemplateResponse(request, "funds/deck.html", context, status_code=status_code)


@router.get("/funds/{fund_id}/decks/{deck_id}", response_class=HTMLResponse)
async def review(
    request: Request, fund_id: uuid.UUID, deck_id: uuid.UUID, user: CurrentUser, db: Db
) -> Response:
    gp_user(user)
    return await _review(request, db, user, fund_id, deck_id)


@router.post("/funds/{fund_id}/decks/{deck_id}/confirm", response_class=HTMLResponse)
async def confirm(
    request: Request, fund_id: uuid.UUID, deck_id: uuid.UUID, user: Member, db: Db, now: Now
) -> Response:
    gp_user(user)
    form = await request.form()
    accepted = {
        field: parsed(field, str(form.get(f"value_{field}") or ""))
        for field in FIELD_LABELS
        if form.get(f"accept_{field}") == "on"
    }
    try:
        fund = await decks.confirm(db, user, fund_id, deck_id, accepted)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        edited = {f: str(form.get(f"value_{f}") or "") for f in FIELD_LABELS}
        return await _review(
            request, db, user, fund_id, deck_id, exc.status_code, message=exc.message,
            errors=field_errors(exc), edited=edited, accepted=set(accepted),
        )  # fmt: skip
    if fund.status != "draft":
        await engine.compute_matches(db, fund.id, embeddings=request.app.state.embeddings, now=now)
    return RedirectResponse(f"/funds/{fund_id}?saved=1", status_code=303)


@router.post("/funds/{fund_id}/decks/{deck_id}/discard", response_class=HTMLResponse)
async def discard(fund_id: uuid.UUID, deck_id: uuid.UUID, user: Member, db: Db) -> Response:
    gp_user(user)
    await decks.discard(db, fund_id, deck_id)
    return RedirectResponse(f"/funds/{fund_id}", status_code=303)
