"""Admin → Alerts: open and past incidents, whether Slack has them, and this month's costs."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from src.db.queries import metrics as queries
from src.deps import Db, PlatformAdmin
from src.errors import NotFound
from src.monitoring.cost import get_monthly_cost_breakdown
from src.monitoring.metrics import get_platform_metrics
from src.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/admin/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request, user: PlatformAdmin, db: Db) -> Response:
    context = {
        "user": user,
        "alerts": await queries.recent_alerts(db, limit=100),
        "costs": await get_monthly_cost_breakdown(db, request.app.state.settings),
        "metrics": await get_platform_metrics(db, days=7),
        "slack": request.app.state.settings.slack_webhook_url is not None,
    }
    return templates.TemplateResponse(request, "admin/alerts.html", context)


@router.post("/admin/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(alert_id: uuid.UUID, user: PlatformAdmin, db: Db) -> Response:
    if not await queries.acknowledge_alert(db, alert_id):
        raise NotFound("alert", alert_id)
    return RedirectResponse("/admin/alerts", status_code=303)
