"""Platform admins edit the scoring weights: versions, a new version (sums to 100), rollback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from src.deps import Db, PlatformAdmin
from src.errors import DomainError
from src.routes.forms import field_errors
from src.services import weights
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)


async def _page(
    request: Request, db: Db, user: User, status_code: int = 200, **extra: Any
) -> Response:
    versions = await weights.list_versions(db)
    active = {v.kind: v for v in versions if v.is_active}
    values = extra.pop("values", None) or {
        kind: {k: f"{active[kind].weights.get(k, 0):g}" for k in keys} if kind in active else {}
        for kind, keys in weights.KEYS.items()
    }
    context = {
        "user": user,
        "versions": versions,
        "active": active,
        "keys": weights.KEYS,
        "labels": weights.LABELS,
        "values": values,
        "errors": {},
        **extra,
    }
    return templates.TemplateResponse(
        request, "admin/weights.html", context, status_code=status_code
    )


@router.get("/admin/weights", response_class=HTMLResponse)
async def page(request: Request, user: PlatformAdmin, db: Db) -> Response:
    return await _page(request, db, user, saved=request.query_params.get("saved"))


@router.post("/admin/weights", response_class=HTMLResponse)
async def create(request: Request, user: PlatformAdmin, db: Db) -> Response:
    form = await request.form()
    kind = str(form.get("kind") or "")
    keys = weights.KEYS.get(kind, ())
    raw = {k: str(form.get(k) or "") for k in keys}
    try:
        weights.check(kind, dict(raw))  # every field named, before the model sees the values
        new = weights.NewWeights(
            kind="rule" if kind == "rule" else "blend",
            weights={k: float(v) for k, v in raw.items()},
            notes=str(form.get("notes") or "")[:500],
        )
        created = await weights.create(db, user, new)
    except DomainError as exc:
        current = {
            k: {key: f"{v.weights.get(key, 0):g}" for key in weights.KEYS[k]}
            for k, v in {v.kind: v for v in await weights.list_versions(db) if v.is_active}.items()
        }
        return await _page(
            request, db, user, exc.status_code, message=exc.message, errors=field_errors(exc),
            values={**current, kind: raw}, failed_kind=kind,
        )  # fmt: skip
    return RedirectResponse(f"/admin/weights?saved={created.version}", status_code=303)


@router.post("/admin/weights/{version}/activate", response_class=HTMLResponse)
async def activate(version: int, user: PlatformAdmin, db: Db) -> Response:
    await weights.activate(db, user, version)
    return RedirectResponse(f"/admin/weights?saved={version}", status_code=303)
