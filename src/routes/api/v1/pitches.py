"""Pitches for API clients: generate for a match, read with versions, edit (a new version)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from src.deps import CurrentUser, Db, Member
from src.middleware.rate_limit import PITCH_LIMIT, limiter, org_or_user
from src.services import pitches
from src.services.pitches import PitchEdit, PitchRequest, PitchView

router = APIRouter(prefix="/api/v1/pitches", tags=["pitches"])


@router.post("", status_code=201)
@limiter.limit(PITCH_LIMIT, key_func=org_or_user)
async def generate(
    request: Request, response: Response, body: PitchRequest, user: Member, db: Db
) -> PitchView:
    """Write an email (subject + 150-200 words) or summary (300-500 words) for a match."""
    return await pitches.generate(db, user, body, llm=request.app.state.llm)


@router.get("/{pitch_id}")
async def get(pitch_id: uuid.UUID, user: CurrentUser, db: Db) -> PitchView:
    """A pitch with every version, newest first."""
    return await pitches.get(db, user, pitch_id)


@router.patch("/{pitch_id}")
async def edit(pitch_id: uuid.UUID, body: PitchEdit, user: Member, db: Db) -> PitchView:
    """Save an edited text as a new version."""
    return await pitches.edit(db, user, pitch_id, body)
