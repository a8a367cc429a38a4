"""Liveness for Railway and uptime checks: no auth, no rate limit, no provider calls."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from src.deps import OptionalUser, PoolDep
from src.errors import NotFound
from src.services import health as health_service
from src.services.health import DetailedHealth, HealthReport

router = APIRouter(tags=["health"])


@router.get(
    "/health/detailed",
    response_model=DetailedHealth,
    responses={404: {"description": "Not a platform admin"}},
)
async def detailed(request: Request, pool: PoolDep, user: OptionalUser) -> JSONResponse:
    """Database, match cache, agents and integrations (platform admins only: 404 otherwise)."""
    if user is None or not user.is_platform_admin:
        raise NotFound("page")
    report = await health_service.detailed(
        pool, request.app.state.settings, request.app.state.providers
    )
    return JSONResponse(report.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@router.get("/health", response_model=HealthReport, responses={503: {"model": HealthReport}})
async def health(request: Request, pool: PoolDep) -> JSONResponse:
    """Report database reachability and the last known LLM provider status."""
    report = await health_service.build_report(pool, request.app.state.providers)
    return JSONResponse(
        report.model_dump(mode="json"),
        status_code=200 if report.database_ok else 503,
        headers={"Cache-Control": "no-store"},
    )
