"""Scoring weights for platform admins: versions, a new version, activation (rollback)."""

from __future__ import annotations

from fastapi import APIRouter

from src.deps import Db, PlatformAdmin
from src.services import weights
from src.services.weights import NewWeights, WeightsVersion

router = APIRouter(prefix="/api/v1/admin/scoring-weights", tags=["admin"])


@router.get("")
async def list_versions(user: PlatformAdmin, db: Db) -> list[WeightsVersion]:
    """Every version of the rule and blend weights, newest first."""
    return await weights.list_versions(db)


@router.post("", status_code=201)
async def create(body: NewWeights, user: PlatformAdmin, db: Db) -> WeightsVersion:
    """A new version (every key, 0–100, summing to 100); active at once unless activate=false."""
    return await weights.create(db, user, body)


@router.post("/{version}/activate")
async def activate(version: int, user: PlatformAdmin, db: Db) -> WeightsVersion:
    """Make a version active (activating an older one rolls back). Expires every match."""
    return await weights.activate(db, user, version)
