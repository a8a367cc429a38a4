"""LP imports for API clients (platform admins): upload, preview, confirm, status, report."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from src.deps import Db, PlatformAdmin, PoolDep, SettingsDep, SignedIn
from src.routes.uploads import read_upload, run_import_later
from src.services import imports
from src.services.imports import ImportPreview

router = APIRouter(prefix="/api/v1/admin/imports", tags=["imports"])


class Mapping(BaseModel):
    """{column name: field}; omit to use the stored (suggested) mapping."""

    mapping: dict[str, str] | None = None


@router.post("", status_code=201)
async def upload(
    request: Request,
    user: PlatformAdmin,
    db: Db,
    settings: SettingsDep,
    file: UploadFile | None = None,
) -> ImportPreview:
    """Upload a CSV (multipart field `file`); returns the suggested mapping and the preview."""
    data = await read_upload(request, file)
    return await imports.upload(
        db, filename=(file.filename if file else None) or "", data=data, data_dir=settings.data_dir
    )


@router.get("/{import_id}")
async def status(import_id: uuid.UUID, user: PlatformAdmin, db: Db) -> ImportPreview:
    """The import's preview, or its progress and counts once confirmed."""
    return await imports.preview(db, import_id=import_id)


@router.post("/{import_id}/preview")
async def preview(
    import_id: uuid.UUID, body: Mapping, user: PlatformAdmin, db: Db
) -> ImportPreview:
    """What the file would do with another column mapping."""
    return await imports.preview(db, import_id=import_id, mapping=body.mapping)


@router.post("/{import_id}/confirm", status_code=202)
async def confirm(
    import_id: uuid.UUID,
    body: Mapping,
    user: PlatformAdmin,
    principal: SignedIn,
    db: Db,
    pool: PoolDep,
    background: BackgroundTasks,
) -> ImportPreview:
    """Start the import; poll GET /{id} until `record.status` is completed."""
    current = await imports.preview(db, import_id=import_id)
    record = await imports.confirm(db, import_id=import_id, mapping=body.mapping or current.mapping)
    run_import_later(background, pool, principal, import_id)
    return current.model_copy(update={"record": record})


@router.get("/{import_id}/report.csv")
async def report(import_id: uuid.UUID, user: PlatformAdmin, db: Db) -> StreamingResponse:
    """Every row's outcome and reasons."""
    record = (await imports.preview(db, import_id=import_id)).record
    return StreamingResponse(imports.report_csv(record), media_type="text/csv; charset=utf-8")
