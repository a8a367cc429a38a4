"""The escalation queue for platform admins' API clients."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from src.deps import Db, PlatformAdmin
from src.services import escalations
from src.services.escalations import EscalationDetail, EscalationRow, Resolution

router = APIRouter(prefix="/api/v1/admin/escalations", tags=["admin"])


@router.get("")
async def queue(
    user: PlatformAdmin,
    db: Db,
    status: Annotated[str | None, Query(description="default: the open ones")] = None,
    priority: Annotated[str | None, Query()] = None,
) -> list[EscalationRow]:
    """Escalations, highest priority and oldest first."""
    return await escalations.queue(db, status=status, priority=priority)


@router.get("/{escalation_id}")
async def get(escalation_id: uuid.UUID, user: PlatformAdmin, db: Db) -> EscalationDetail:
    """One escalation with the debate round by round."""
    return await escalations.get(db, escalation_id)


class Assignment(BaseModel):
    """Who reviews: a platform admin's person id (the caller when left out)."""

    reviewer: uuid.UUID | None = None


@router.post("/{escalation_id}/assign")
async def assign(
    escalation_id: uuid.UUID, user: PlatformAdmin, db: Db, body: Assignment | None = None
) -> EscalationDetail:
    """Assign the escalation to a reviewer."""
    return await escalations.assign(
        db, user, escalation_id, body.reviewer if body is not None else None
    )


@router.post("/{escalation_id}/resolve")
async def resolve(
    escalation_id: uuid.UUID, body: Resolution, user: PlatformAdmin, db: Db
) -> EscalationDetail:
    """Decide: the score and reasoning become the match's final word."""
    return await escalations.resolve(db, user, escalation_id, body)


@router.post("/{escalation_id}/dismiss")
async def dismiss(escalation_id: uuid.UUID, user: PlatformAdmin, db: Db) -> EscalationDetail:
    """No review needed: the debate's outcome stands."""
    return await escalations.dismiss(db, user, escalation_id)
