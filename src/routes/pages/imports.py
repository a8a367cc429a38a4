"""Platform admins import LP files: upload, map columns, preview, confirm, watch, download."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, UploadFile
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from src.db.queries.imports import list_imports
from src.deps import Db, PlatformAdmin, PoolDep, SettingsDep, SignedIn
from src.errors import DomainError
from src.routes.uploads import read_upload, run_import_later
from src.services import imports
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)


async def _index(
    request: Request, db: Db, user: User, status_code: int = 200, **context: Any
) -> Response:
    recent = await list_imports(db)
    return templates.TemplateResponse(
        request,
        "admin/imports.html",
        {"user": user, "imports": recent, **context},
        status_code=status_code,
    )


@router.get("/admin/imports", response_class=HTMLResponse)
async def index(request: Request, user: PlatformAdmin, db: Db) -> Response:
    return await _index(request, db, user)


@router.post("/admin/imports", response_class=HTMLResponse)
async def upload(
    request: Request,
    user: PlatformAdmin,
    db: Db,
    settings: SettingsDep,
    file: UploadFile | None = None,
) -> Response:
    try:
        data = await read_upload(request, file)
        result = await imports.upload(
            db,
            filename=(file.filename if file else None) or "",
            data=data,
            data_dir=settings.data_dir,
        )
    except DomainError as exc:
        return await _index(request, db, user, exc.status_code, message=exc.message)
    response = templates.TemplateResponse(
        request, "admin/import.html", {"user": user, "preview": result}
    )
    response.headers["HX-Push-Url"] = f"/admin/imports/{result.record.id}"
    return response


@router.get("/admin/imports/{import_id}", response_class=HTMLResponse)
async def show(request: Request, import_id: uuid.UUID, user: PlatformAdmin, db: Db) -> Response:
    result = await imports.preview(db, import_id=import_id)
    # The progress card polls this page and picks its own card out of it (hx-select).
    return templates.TemplateResponse(
        request, "admin/import.html", {"user": user, "preview": result}
    )


def _mapping(form: Any, header: list[str]) -> dict[str, str]:
    return {
        column: str(form.get(f"map:{column}")) for column in header if form.get(f"map:{column}")
    }


@router.post("/admin/imports/{import_id}/mapping", response_class=HTMLResponse)
async def remap(request: Request, import_id: uuid.UUID, user: PlatformAdmin, db: Db) -> Response:
    current = await imports.preview(db, import_id=import_id)
    mapping = _mapping(await request.form(), current.header)
    try:
        result = await imports.preview(db, import_id=import_id, mapping=mapping)
    except DomainError as exc:
        context = {
            "user": user,
            "preview": current.model_copy(update={"mapping": mapping}),
            "message": exc.message,
        }
        return templates.TemplateResponse(
            request, "admin/import.html", context, status_code=exc.status_code
        )
    return templates.TemplateResponse(
        request, "admin/import.html", {"user": user, "preview": result}
    )


@router.post("/admin/imports/{import_id}/confirm", response_class=HTMLResponse)
async def confirm(
    request: Request,
    import_id: uuid.UUID,
    user: PlatformAdmin,
    principal: SignedIn,
    db: Db,
    pool: PoolDep,
    background: BackgroundTasks,
) -> Response:
    current = await imports.preview(db, import_id=import_id)
    try:
        await imports.confirm(
            db, import_id=import_id, mapping=_mapping(await request.form(), current.header)
        )
    except DomainError as exc:
        context = {"user": user, "preview": current, "message": exc.message}
        return templates.TemplateResponse(
            request, "admin/import.html", context, status_code=exc.status_code
        )
    run_import_later(background, pool, principal, import_id)
    result = await imports.preview(db, import_id=import_id)
    response = templates.TemplateResponse(
        request, "admin/import.html", {"user": user, "preview": result}
    )
    response.headers["HX-Push-Url"] = f"/admin/imports/{import_id}"
    return response


@router.get("/admin/imports/{import_id}/report.csv")
async def report(import_id: uuid.UUID, user: PlatformAdmin, db: Db) -> StreamingResponse:
    record = (await imports.preview(db, import_id=import_id)).record
    headers = {"Content-Disposition": f'attachment; filename="import-report-{import_id}.csv"'}
    return StreamingResponse(
        imports.report_csv(record), media_type="text/csv; charset=utf-8", headers=headers
    )
