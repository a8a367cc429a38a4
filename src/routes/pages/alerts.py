"""Admin → Alerts: open and past incidents, whether Slack has them, and this month's costs."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from src.deps import Db, PlatformAdmin, SettingsDep
from src.services import console
from src.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/admin/alerts", response_class=HTMLResponse)
async def alerts_page(
    request: Request, user: PlatformAdmin, db: Db, settings: SettingsDep
) -> Response:
    view = await console.alerts_view(db, settings)
    context = {"user": user, **vars(view)}
    return templates.TemplateResponse(request, "admin/alerts.html", context)


@router.post("/admin/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(alert_id: uuid.UUID, user: PlatformAdmin, db: Db) -> Response:
    await console.acknowledge_alert(db, alert_id)
    return RedirectResponse("/admin/alerts", status_code=303)
