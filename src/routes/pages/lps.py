"""The LP database: search page (HTMX-updated results), CSV export, LP pages, flags."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from src.db.tenancy import user_transaction
from src.deps import CurrentUser, Db, IsHtmx, PoolDep, PrincipalDep
from src.errors import DomainError
from src.routes.forms import field_errors
from src.services import lps
from src.services.lps import LpFilters
from src.services.taxonomy import COUNTRY_NAMES, LP_TYPE_LABELS, REGION_LABELS, STRATEGY_LABELS
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
Filters = Annotated[LpFilters, Query()]
LABELS = {
    "types": LP_TYPE_LABELS,
    "strategies": STRATEGY_LABELS,
    "regions": REGION_LABELS,
    "countries": COUNTRY_NAMES,
}


def _query_string(request: Request, **changes: Any) -> str:
    """The current search with some parameters changed (pagination, sort links)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    return urlencode(params)


@router.get("/lps", response_class=HTMLResponse)
async def search(
    request: Request, filters: Filters, user: CurrentUser, db: Db, htmx: IsHtmx
) -> Response:
    result = await lps.search(db, filters, embeddings=request.app.state.embeddings)
    context = {
        "user": user,
        "filters": filters,
        "result": result,
        "options": lps.filter_options(),
        "labels": LABELS,
        "indexing": request.app.state.indexing,
        "qs": lambda **c: _query_string(request, **c),
    }
    response = templates.TemplateResponse(
        request, "lps/index.html", context, block_name="results" if htmx else None
    )
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/lps/export.csv")
async def export(
    filters: Filters, user: CurrentUser, pool: PoolDep, principal: PrincipalDep
) -> StreamingResponse:
    async def rows() -> AsyncIterator[str]:
        # The request's own transaction ends before the body streams: open one for the export.
        async with user_transaction(pool, principal) as conn:
            async for chunk in lps.export_csv(conn, filters):
                yield chunk

    headers = {"Content-Disposition": 'attachment; filename="lpxgp-lps.csv"'}
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=headers)


async def _detail(
    request: Request, db: Db, user: User, org_id: uuid.UUID, status_code: int = 200, **context: Any
) -> Response:
    page = await lps.get_lp_page(db, org_id)
    back = (
        request.headers.get("referer") if "/lps?" in request.headers.get("referer", "") else "/lps"
    )
    base = {"user": user, "page": page, "labels": LABELS, "back": back, "errors": {}, "values": {}}
    return templates.TemplateResponse(
        request, "lps/detail.html", {**base, **context}, status_code=status_code
    )


@router.get("/lps/{org_id}", response_class=HTMLResponse)
async def detail(request: Request, org_id: uuid.UUID, user: CurrentUser, db: Db) -> Response:
    return await _detail(request, db, user, org_id)


@router.post("/lps/{org_id}/flag", response_class=HTMLResponse)
async def flag(
    request: Request,
    org_id: uuid.UUID,
    user: CurrentUser,
    db: Db,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        await lps.flag_outdated(db, org_id, reason=reason)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _detail(
            request,
            db,
            user,
            org_id,
            exc.status_code,
            flag_message=exc.message,
            errors=field_errors(exc),
            values={"reason": reason},
        )
    return await _detail(
        request, db, user, org_id, notice="Thank you: an admin will check this LP's data."
    )
