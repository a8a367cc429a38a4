"""Admin → Batch: every run of the nightly, incremental and retrain jobs; start one now."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from src.deps import Db, IsHtmx, PlatformAdmin
from src.errors import DomainError
from src.services import batch_runs
from src.templating import templates

router = APIRouter(include_in_schema=False)


async def _list(
    request: Request, db: Db, user: Any, status_code: int = 200, **extra: Any
) -> Response:
    launcher: batch_runs.Launcher = request.app.state.batch
    context = {
        "user": user,
        "runs": await batch_runs.list_runs(db),
        "jobs": batch_runs.JOBS,
        "working": {job for job in batch_runs.JOBS if launcher.running(job)},
        "started": request.query_params.get("started"),
        **extra,
    }
    return templates.TemplateResponse(request, "admin/batch.html", context, status_code=status_code)


@router.get("/admin/batch", response_class=HTMLResponse)
async def list_page(request: Request, user: PlatformAdmin, db: Db) -> Response:
    return await _list(request, db, user)


@router.post("/admin/batch/{job}/run", response_class=HTMLResponse)
async def run_now(request: Request, job: str, user: PlatformAdmin, db: Db) -> Response:
    try:
        request.app.state.batch.start(job)
    except DomainError as exc:
        return await _list(request, db, user, exc.status_code, message=exc.message)
    return RedirectResponse(f"/admin/batch?started={job}", status_code=303)


@router.get("/admin/batch/{run_id}", response_class=HTMLResponse)
async def detail_page(
    request: Request, run_id: uuid.UUID, user: PlatformAdmin, db: Db, htmx: IsHtmx
) -> Response:
    detail = await batch_runs.detail(db, run_id)
    context = {"user": user, "d": detail, "jobs": batch_runs.JOBS}
    return templates.TemplateResponse(
        request, "admin/batch_run.html", context, block_name="run" if htmx else None
    )
