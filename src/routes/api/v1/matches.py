"""Matches for API clients: generate, list, read, and feedback / pipeline changes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from pydantic import BaseModel, Field

from src.db.queries.matches import MatchRow
from src.db.tenancy import service_transaction
from src.deps import CurrentUser, Db, Member, Now, PoolDep, SignedIn
from src.middleware.rate_limit import DEBATE_LIMIT, MATCH_GENERATE_LIMIT, limiter, user_or_ip
from src.routes.uploads import run_debate_later
from src.services import debates, matches, pipeline
from src.services.matches import GenerateRequest, MatchList, MatchQuery

router = APIRouter(prefix="/api/v1/matches", tags=["matches"])


@router.post("/generate")
@limiter.limit(MATCH_GENERATE_LIMIT, key_func=user_or_ip)
async def generate(
    request: Request, response: Response, body: GenerateRequest, user: Member, db: Db, now: Now
) -> MatchList:
    """Score the fund against every LP now; the best `limit` at or above `min_score`."""
    return await matches.generate(db, user, body, embeddings=request.app.state.embeddings, now=now)


def count_cache(request: Request, result: matches.MatchList) -> None:
    """A match list served from stored matches is a cache hit; recomputing them, a miss."""
    request.app.state.counters.incr("match_cache.miss" if result.recomputed else "match_cache.hit")


@router.get("")
async def list_matches(
    request: Request,
    fund_id: uuid.UUID,
    query: Annotated[MatchQuery, Query()],
    user: CurrentUser,
    db: Db,
    now: Now,
) -> MatchList:
    """A fund's matches, best first (recomputed first if missing or expired)."""
    result = await matches.list_for_fund(
        db, user, fund_id, query, embeddings=request.app.state.embeddings, now=now
    )
    count_cache(request, result)
    return result


@router.get("/{match_id}")
async def get_match(match_id: uuid.UUID, user: CurrentUser, db: Db) -> MatchRow:
    """One match with its breakdown, reasons and pipeline status."""
    return await matches.get(db, user, match_id)


class MatchChange(BaseModel):
    """Feedback and pipeline changes on a match; every field optional."""

    rating: Literal[-1, 1] | None = Field(default=None, description="Thumbs up (1) or down (-1)")
    comment: str | None = Field(default=None, max_length=1000)
    interest: Literal["interested", "pursuing", "not_interested"] | None = None
    dismiss_reason: str | None = Field(default=None, description="Needed with not_interested")
    stage: str | None = None
    notes: str | None = Field(default=None, max_length=5000)
    next_step: str | None = Field(default=None, max_length=500)


@router.patch("/{match_id}")
async def change_match(match_id: uuid.UUID, body: MatchChange, user: Member, db: Db) -> MatchRow:
    """Record feedback, shortlist or dismiss, move the stage, or write notes."""
    match = await matches.get(db, user, match_id)
    fund, lp = match.fund_id, match.lp_org_id
    if body.rating is not None:
        await pipeline.feedback(db, user, match_id, body.rating, body.comment)
    if body.interest == "not_interested":
        await pipeline.dismiss(db, user, fund, lp, body.dismiss_reason or "", body.comment)
    elif body.interest is not None:
        await pipeline.shortlist(db, user, fund, lp, body.interest)
    if body.stage is not None:
        await pipeline.move(db, user, fund, lp, body.stage, next_step=body.next_step)
    if body.notes is not None:
        await pipeline.set_notes(db, user, fund, lp, body.notes, body.next_step)
    return await matches.get(db, user, match_id)


class DebateStarted(BaseModel):
    """A debate that runs after this response; poll `poll` for its state."""

    debate_id: uuid.UUID
    status: str = "running"
    poll: str


@router.post("/{match_id}/debate", status_code=202)
@limiter.limit(DEBATE_LIMIT, key_func=user_or_ip)
async def start_debate(
    request: Request,
    response: Response,
    match_id: uuid.UUID,
    user: Member,
    db: Db,
    tasks: BackgroundTasks,
    pool: PoolDep,
    principal: SignedIn,
) -> DebateStarted:
    """Run the bull/bear debate for a match (LLM when configured, else offline analysis)."""
    debate_id = await debates.start(db, user, match_id, lambda: service_transaction(pool))
    run_debate_later(tasks, pool, principal, user, debate_id, match_id, request.app.state.llm)
    return DebateStarted(debate_id=debate_id, poll=f"/api/v1/debates/{debate_id}")
