"""Funds for API clients: list, create, read, update (PATCH merges the given fields)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Body, File, Request, Response, UploadFile
from pydantic import BaseModel

from src.db.queries.funds import FundDetail, FundSummary, TrackRecord, list_track_records
from src.deps import CurrentUser, Db, Member, Now, StorageDep
from src.routes.uploads import read_upload
from src.services import decks, funds, matches
from src.services.decks import MAX_DECK_BYTES, Deck
from src.services.funds import FundInput
from src.services.matching.engine import MatchRun

router = APIRouter(prefix="/api/v1/funds", tags=["funds"])


class FundOut(FundDetail):
    """A fund with its track record and, after a change to a published fund, its rescoring."""

    track_records: list[TrackRecord]
    matching: MatchRun | None = None


async def _out(db: Db, fund: FundDetail, matching: MatchRun | None = None) -> FundOut:
    records = await list_track_records(db, fund_id=fund.id)
    return FundOut(**fund.model_dump(), track_records=records, matching=matching)


async def _rescore(request: Request, db: Db, fund: FundDetail, now: Now) -> MatchRun | None:
    """A published fund gets rule scores at once (debates run in the next batch)."""
    return await matches.refresh_published(
        db, fund.id, fund.status, embeddings=request.app.state.embeddings, now=now
    )


@router.get("")
async def list_funds(user: CurrentUser, db: Db) -> list[FundSummary]:
    """The organisation's funds, live ones first."""
    return await funds.list_funds(db, user)


@router.post("", status_code=201)
async def create_fund(
    request: Request, body: FundInput, user: Member, db: Db, now: Now, response: Response
) -> FundOut:
    """Create a fund (a draft needs only a name; publishing needs strategy and target size)."""
    fund = await funds.create(db, user, funds.parse(body.model_dump()))
    response.headers["Location"] = f"/api/v1/funds/{fund.id}"
    return await _out(db, fund, await _rescore(request, db, fund, now))


@router.get("/{fund_id}")
async def get_fund(fund_id: uuid.UUID, user: CurrentUser, db: Db) -> FundOut:
    """One fund of the organisation."""
    return await _out(db, await funds.get(db, fund_id, user.org_id))


@router.patch("/{fund_id}")
async def update_fund(
    request: Request,
    fund_id: uuid.UUID,
    user: Member,
    db: Db,
    now: Now,
    changes: dict[str, Any] = Body(..., examples=[{"status": "raising"}]),  # noqa: B008
) -> FundOut:
    """Change some fields; the rest keep their values. A change expires the fund's matches."""
    current = await funds.get(db, fund_id, user.org_id)
    records = await list_track_records(db, fund_id=fund_id)
    merged = {**funds.to_input(current, records), **changes}
    fund = await funds.update(db, user, fund_id, funds.parse(merged))
    return await _out(db, fund, await _rescore(request, db, fund, now))


@router.post("/{fund_id}/upload-deck", status_code=201)
async def upload_deck(
    request: Request,
    fund_id: uuid.UUID,
    user: Member,
    db: Db,
    storage: StorageDep,
    file: UploadFile | None = File(None),  # noqa: B008
) -> Deck:
    """Upload a PDF deck (≤ 25 MB); returns the fields proposed from it. The fund is unchanged."""
    await funds.get(db, fund_id, user.org_id)
    data = await read_upload(request, file, limit=MAX_DECK_BYTES, kind="PDF deck")
    return await decks.upload(
        db, user, storage, fund_id, (file.filename if file else None) or "deck.pdf", data
    )


class DeckConfirmation(BaseModel):
    """The proposed fields the GP accepts, with their (possibly edited) values."""

    fields: dict[str, Any]


@router.post("/{fund_id}/decks/{deck_id}/confirm")
async def confirm_deck(
    request: Request,
    fund_id: uuid.UUID,
    deck_id: uuid.UUID,
    body: DeckConfirmation,
    user: Member,
    db: Db,
    now: Now,
) -> FundOut:
    """Apply accepted deck fields to the fund (validated like any edit)."""
    fund = await decks.confirm(db, user, fund_id, deck_id, body.fields)
    return await _out(db, fund, await _rescore(request, db, fund, now))
