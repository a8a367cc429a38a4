"""The signed-in home page: the organisation's funds and where each raise stands."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from src.db.queries.funds import list_fund_cards
from src.deps import CurrentUser, Db
from src.services import pipeline
from src.services.taxonomy import STRATEGY_LABELS
from src.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, user: CurrentUser, db: Db) -> Response:
    funds = await list_fund_cards(db, org_id=user.org_id) if user.org_id else []
    activity = await pipeline.recent_activity(db, user.org_id, limit=12) if user.org_id else []
    context = {
        "user": user,
        "funds": funds,
        "activity": activity,
        "strategy_labels": STRATEGY_LABELS,
        "labels": {
            "stages": pipeline.STAGE_LABELS,
            "reasons": pipeline.DISMISS_REASONS,
            "outcomes": pipeline.OUTCOMES,
        },
    }
    return templates.TemplateResponse(request, "dashboard/index.html", context)
