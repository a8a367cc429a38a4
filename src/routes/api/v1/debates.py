"""Debates for API clients: the state and transcript of one full analysis."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from src.deps import CurrentUser, Db
from src.services import debates
from src.services.debates import DebateView

router = APIRouter(prefix="/api/v1/debates", tags=["matches"])


@router.get("/{debate_id}")
async def get_debate(debate_id: uuid.UUID, user: CurrentUser, db: Db) -> DebateView:
    """A debate's status (running, completed, escalated, failed), rounds and every turn."""
    return await debates.get(db, user, debate_id)
