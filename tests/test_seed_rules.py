"""Every rule of seed/infrastructure.md that has a checkable value, checked against the app.

One table: the rule as the seed states it, what we ship, and how it is checked. Where we
deliberately differ from the seed, the row says why (the check is for what we ship).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from src.config import PRODUCTION_CORS_ORIGINS
from src.middleware.rate_limit import limiter
from src.services.health import DetailedHealth, HealthReport
from tests.conftest import ROOT
from tests.helpers import running_client


@dataclass(frozen=True)
class Rule:
    """One seed rule."""

    area: str
    seed: str
    ours: str
    check: Callable[[httpx.Response, FastAPI], Awaitable[Any] | Any]


def header(name: str, value: str) -> Callable[[httpx.Response, FastAPI], None]:
    def check(page: httpx.Response, _app: FastAPI) -> None:
        assert page.headers.get(name) == value, (name, page.headers.get(name))

    return check


def csp_without_cdn_or_inline_script(page: httpx.Response, _app: FastAPI) -> None:
    policy = page.headers["content-security-policy"]
    script = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "cdn" not in policy and "unpkg" not in policy
    assert "default-src 'self'" in policy


def limit_of(
    method: str, path: str, endpoint: str, expected: str
) -> Callable[[httpx.Response, FastAPI], None]:
    """The limit slowapi enforces on `endpoint` (module.function), served at `method path`."""

    def check(_page: httpx.Response, app: FastAPI) -> None:
        operation = app.openapi()["paths"][path][method.lower()]
        assert operation["operationId"].startswith(endpoint.rsplit(".", 1)[1])
        texts = {str(lim.limit) for lim in limiter._route_limits.get(endpoint, [])}
        assert expected in texts, (endpoint, texts)

    return check


def cron(file: str, schedule: str, module: str) -> Callable[[httpx.Response, FastAPI], None]:
    def check(_page: httpx.Response, _app: FastAPI) -> None:
        deploy = tomllib.loads((ROOT / "railway" / file).read_text())["deploy"]
        assert deploy["cronSchedule"] == schedule and module in deploy["startCommand"]

    return check


async def cors_allows_only_production_origins(_page: httpx.Response, app: FastAPI) -> None:
    async with running_client(app) as client:
        for origin in PRODUCTION_CORS_ORIGINS:
            answer = await client.options("/api/v1/lps", headers={
                "Origin": origin, "Access-Control-Request-Method": "PATCH"})  # fmt: skip
            assert answer.headers.get("access-control-allow-origin") == origin
            assert answer.headers.get("access-control-allow-credentials") == "true"
            assert "PATCH" in answer.headers.get("access-control-allow-methods", "")
        stranger = await client.options("/api/v1/lps", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})  # fmt: skip
        assert "access-control-allow-origin" not in stranger.headers


def health_fields(page: httpx.Response, _app: FastAPI) -> None:
    assert set(HealthReport.model_fields) == {"status", "timestamp", "checks"}
    assert set(DetailedHealth.model_fields) >= {"database", "cache", "agents", "integrations"}


def log_fields(_page: httpx.Response, _app: FastAPI) -> None:
    # Checked from the lines the request wrote (the test below reads stdout).
    pass


RULES = [
    Rule("headers", "X-Content-Type-Options: nosniff", "same", header("x-content-type-options", "nosniff")),
    Rule("headers", "X-Frame-Options: DENY", "same", header("x-frame-options", "DENY")),
    Rule("headers", "Strict-Transport-Security: max-age=31536000; includeSubDomains", "same",
         header("strict-transport-security", "max-age=31536000; includeSubDomains")),
    Rule("headers", "X-XSS-Protection: 1; mode=block",
         "0: OWASP advises turning the legacy filter off (it can be abused); CSP protects",
         header("x-xss-protection", "0")),
    Rule("headers", "CSP allowing cdn.tailwindcss.com, unpkg.com and inline scripts",
         "default-src 'self', no CDN, scripts by nonce (no CDN at run time, no inline script)",
         csp_without_cdn_or_inline_script),
    Rule("cors", "origins lpxgp.com and www.lpxgp.com; GET, POST, PATCH, DELETE; credentials",
         "same (deployed environments)", cors_allows_only_production_origins),
    Rule("rate limits", "GET /api/v1/lps: 100/minute", "100/minute per user",
         limit_of("GET", "/api/v1/lps", "src.routes.api.v1.lps.list_lps", "100 per 1 minute")),
    Rule("rate limits", "POST /api/v1/matches/generate: 10/minute", "10/minute per user",
         limit_of("POST", "/api/v1/matches/generate", "src.routes.api.v1.matches.generate",
                  "10 per 1 minute")),
    Rule("rate limits", "POST /api/v1/pitches: 20/hour per company", "20/hour per organisation",
         limit_of("POST", "/api/v1/pitches", "src.routes.api.v1.pitches.generate",
                  "20 per 1 hour")),
    Rule("cron", "run_nightly at 0 2 * * *", "railway/nightly.toml",
         cron("nightly.toml", "0 2 * * *", "src.agents.batch.run_nightly")),
    Rule("cron", "run_incremental at 0 */4 * * *", "railway/incremental.toml",
         cron("incremental.toml", "0 */4 * * *", "src.agents.batch.run_incremental")),
    Rule("cron", "monthly_retrain at 0 3 1 * *", "railway/monthly-retrain.toml",
         cron("monthly-retrain.toml", "0 3 1 * *", "src.agents.batch.monthly_retrain")),
    Rule("health", "/health: status, timestamp, checks; /health/detailed: database, cache,"
         " agents, integrations", "same", health_fields),
    Rule("logs", "JSON: timestamp, level, logger, event", "same, plus request_id, method, path,"
         " status, latency_ms on every request line", log_fields),
]  # fmt: skip


@pytest.fixture
def production_like(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(cors_origins=",".join(PRODUCTION_CORS_ORIGINS))


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.area}: {r.seed[:40]}" for r in RULES])
async def test_seed_rule_holds_in_the_running_app(rule: Rule, caplog, production_like: FastAPI):
    async with running_client(production_like) as client:
        page = await client.get("/login")
        health = await client.get("/health")
    assert page.status_code == 200 and health.status_code == 200
    result = rule.check(page, production_like)
    if hasattr(result, "__await__"):
        await result
    if rule.area == "logs":
        lines = [
            r.msg for r in caplog.records if r.name == "lpxgp.request" and isinstance(r.msg, dict)
        ]
        request = next(e for e in lines if e.get("event") == "request" and e["path"] == "/login")
        assert set(request) >= {"timestamp", "level", "logger", "event", "request_id", "method",
                                "path", "status", "latency_ms"}  # fmt: skip
        json.dumps(request)  # one JSON object per line
    if rule.area == "health":
        assert set(health.json()) == {"status", "timestamp", "checks"}
        assert set(health.json()["checks"]) == {"database", "openrouter"}
