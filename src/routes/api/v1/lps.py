"""The LP database for API clients: search, semantic search, one LP."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from src.deps import CurrentUser, Db
from src.errors import InvalidInput
from src.middleware.rate_limit import LP_API_LIMIT, limiter, user_or_ip
from src.services import lps
from src.services.lps import IndexingStatus, LpFilters, LpPage, SearchResult

router = APIRouter(prefix="/api/v1/lps", tags=["lps"])
per_user = limiter.shared_limit(LP_API_LIMIT, scope="lp_api", key_func=user_or_ip)


def _with_indexing(request: Request, result: SearchResult) -> SearchResult:
    """Say so when meaning-based results cover only the mandates embedded so far."""
    progress = request.app.state.indexing
    if result.semantic_model and progress.running:
        result.indexing = IndexingStatus(done=progress.done, total=progress.total)
    return result


@router.get("")
@per_user
async def list_lps(
    request: Request,
    response: Response,
    filters: Annotated[LpFilters, Query()],
    user: CurrentUser,
    db: Db,
) -> SearchResult:
    """LPs matching the filters (query parameters), 50 per page, with the true total."""
    return _with_indexing(
        request, await lps.search(db, filters, embeddings=request.app.state.embeddings)
    )


@router.post("/search")
@per_user
async def search(
    request: Request, response: Response, filters: LpFilters, user: CurrentUser, db: Db
) -> SearchResult:
    """The same search with the filters in a JSON body."""
    return _with_indexing(
        request, await lps.search(db, filters, embeddings=request.app.state.embeddings)
    )


@router.post("/semantic-search")
@per_user
async def semantic_search(
    request: Request, response: Response, filters: LpFilters, user: CurrentUser, db: Db
) -> SearchResult:
    """Rank LPs by how close their mandate is to `semantic` (required), within the filters."""
    if not filters.semantic.strip():
        raise InvalidInput(
            "Describe the LPs you want.", details=[{"field": "semantic", "message": "Required."}]
        )
    return _with_indexing(
        request, await lps.search(db, filters, embeddings=request.app.state.embeddings)
    )


@router.get("/{org_id}")
@per_user
async def get_lp(
    request: Request, response: Response, org_id: uuid.UUID, user: CurrentUser, db: Db
) -> LpPage:
    """One LP with contacts, commitments and what its data lacks."""
    return await lps.get_lp_page(db, org_id)
