"""Liveness for Railway and uptime checks: no auth, no rate limit, no provider calls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from src.deps import PoolDep
from src.middleware.rate_limit import exempt
from src.services import health as health_service

router = APIRouter(tags=["health"])


class HealthReport(BaseModel):
    """Overall status and the result of each check."""

    status: Literal["healthy", "degraded"]
    timestamp: datetime
    checks: dict[str, str]


@router.get("/health", response_model=HealthReport, responses={503: {"model": HealthReport}})
@exempt
async def health(request: Request, pool: PoolDep) -> JSONResponse:
    """Report database reachability and the last known LLM provider status."""
    checks = {
        "database": await health_service.check_database(pool),
        "openrouter": request.app.state.providers.get("openrouter").check,
    }
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    report = HealthReport(
        status="healthy" if healthy else "degraded", timestamp=datetime.now(UTC), checks=checks
    )
    status_code = 200 if checks["database"] == "ok" else 503
    return JSONResponse(
        report.model_dump(mode="json"),
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )
