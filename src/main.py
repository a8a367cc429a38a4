"""The ASGI application: `src.main:app`, built by `create_app()`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware

from src.agents.batch.runner import BatchConfig, Options, Worker
from src.agents.call_log import build_llm
from src.agents.embed import Progress, embed_pending
from src.agents.embeddings import EmbeddingProvider, build_embeddings
from src.agents.tracing import build_tracing
from src.auth.sessions import CookieSpec
from src.auth.setup import build_auth
from src.auth.tokens import Clock, utc_now
from src.config import Settings, get_settings
from src.db.migrate import apply_migrations
from src.db.pool import DatabaseTarget, pool_for, resolve_database
from src.db.tenancy import Pool
from src.demo.generate import ensure_demo_market
from src.errors import register_error_handlers
from src.logging_config import configure_logging
from src.middleware.csrf import CSRFMiddleware
from src.middleware.maintenance import MaintenanceMiddleware
from src.middleware.rate_limit import DefaultRateLimitMiddleware, configure_limiter
from src.middleware.request_log import RequestLogMiddleware
from src.middleware.security import SecurityHeadersMiddleware
from src.middleware.session import SessionMiddleware
from src.middleware.unhandled import UnhandledErrorMiddleware
from src.monitoring.alerts import AlertMonitor, Slack
from src.monitoring.counters import Counters
from src.monitoring.metrics import RequestMetrics
from src.monitoring.providers import ProviderRegistry, provider_registry
from src.routes import health
from src.routes.api.v1 import auth as auth_api
from src.routes.api.v1 import debates as debates_api
from src.routes.api.v1 import escalations as escalations_api
from src.routes.api.v1 import funds as funds_api
from src.routes.api.v1 import imports as imports_api
from src.routes.api.v1 import lps as lps_api
from src.routes.api.v1 import matches as matches_api
from src.routes.api.v1 import organizations as organizations_api
from src.routes.api.v1 import pitches as pitches_api
from src.routes.api.v1 import users as users_api
from src.routes.api.v1 import weights as weights_api
from src.routes.pages import account, admin, dashboard, home, imports, lps, team
from src.routes.pages import alerts as alerts_pages
from src.routes.pages import auth as auth_pages
from src.routes.pages import batch as batch_pages
from src.routes.pages import debates as debates_pages
from src.routes.pages import decks as decks_pages
from src.routes.pages import escalations as escalations_pages
from src.routes.pages import funds as funds_pages
from src.routes.pages import matches as matches_pages
from src.routes.pages import pitches as pitches_pages
from src.routes.pages import weights as weights_pages
from src.services.batch_runs import Launcher
from src.storage import build_storage
from src.templating import STATIC_DIR, templates

logger = structlog.get_logger("lpxgp.app")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Find (or start) the database; in development migrate it and load the demo; open the pool."""
    settings: Settings = app.state.settings
    target = await run_in_threadpool(resolve_database, settings)
    if settings.app_env == "development":
        applied = await apply_migrations(target.admin_url)
        if applied:
            logger.info("migrations_applied", versions=applied)
        if settings.demo_market and target.embedded is not None:
            await run_in_threadpool(ensure_demo_market, target.admin_url)
    pool = pool_for(target, settings)
    # Do not wait: a deploy whose database is down must still start and fail /health.
    await pool.open(wait=False)
    app.state.pool = pool
    _build_services(app, settings, pool)
    background = _start_background(app, settings, pool, target)
    app.state.database = target
    logger.info("app_started", env=settings.app_env, embedded=target.embedded is not None)
    try:
        yield
    finally:
        for task in background:
            task.cancel()
        # Each task is awaited to its end: the flushers add their last counts on the way out.
        await asyncio.gather(*background, return_exceptions=True)
        await _close_services(app)
        await pool.close()
        if target.embedded is not None:
            # uvicorn re-raises SIGTERM after shutdown, so atexit hooks may never run.
            await run_in_threadpool(target.embedded.release)
        logger.info("app_stopped")


def _build_services(app: FastAPI, settings: Settings, pool: Pool) -> None:
    """The clients of each provider (reporting to the app's provider status) and the workers."""
    providers: ProviderRegistry = app.state.providers
    app.state.auth = build_auth(settings, pool, app.state.clock, providers.get("supabase_auth"))
    app.state.embeddings = build_embeddings(settings, providers.get("voyage"))
    app.state.storage = build_storage(settings, providers.get("supabase_storage"))
    app.state.tracing = build_tracing(settings, providers.get("langfuse"))
    app.state.llm = build_llm(settings, pool, app.state.tracing, providers.get("openrouter"))
    app.state.batch = Launcher(pool, settings, app.state.embeddings, app.state.llm)
    webhook = settings.slack_webhook_url
    app.state.alerts = AlertMonitor(
        pool, settings, Slack(webhook.get_secret_value() if webhook else None)
    )
    app.state.indexing = Progress()


async def _close_services(app: FastAPI) -> None:
    """Close what `_build_services` opened (the pool is closed after them)."""
    await app.state.batch.aclose()
    await app.state.alerts.slack.aclose()
    await app.state.storage.aclose()
    if app.state.llm is not None:
        await app.state.llm.aclose()
    await run_in_threadpool(app.state.tracing.shutdown)


def _start_background(
    app: FastAPI, settings: Settings, pool: Pool, target: DatabaseTarget
) -> list[asyncio.Task[Any]]:
    """The app's background work: metric flushers and alert checks.

    On a laptop also indexing the demo's mandates (search shows "indexing n / N"), then its
    first nightly run.
    """
    tasks = [
        asyncio.create_task(app.state.counters.run(pool), name="counters"),
        asyncio.create_task(app.state.request_metrics.run(pool), name="request-metrics"),
        asyncio.create_task(app.state.alerts.run(), name="alerts"),
    ]
    if settings.app_env == "development" and target.embedded is not None:
        indexing = asyncio.create_task(
            embed_pending(pool, app.state.embeddings, progress=app.state.indexing)
        )
        tasks.append(indexing)
        if settings.demo_market:
            tasks.append(asyncio.create_task(
                _demo_nightly(pool, app.state.embeddings, settings, indexing)
            ))  # fmt: skip
    return tasks


async def _demo_nightly(
    pool: Pool, embeddings: EmbeddingProvider, settings: Settings, indexing: asyncio.Task[Any]
) -> None:
    """On a laptop, run tonight's batch once the demo is indexed.

    The demo funds then open with their matches scored, their best ones analysed and pitch
    drafts written. It uses the offline analyst, so a start never spends LLM money; "Run full
    analysis" on a match uses the LLM when one is configured.
    """
    await indexing
    config = replace(BatchConfig.from_settings(settings), deadline_utc=None)
    worker = Worker(pool, "nightly", config=config, embeddings=embeddings, llm=None)
    try:
        outcome = await worker.run(Options())
    except Exception:
        logger.exception("demo_nightly_failed")
        return
    if outcome.run is not None:
        logger.info("demo_nightly_finished", summary=outcome.run.summary)


ROUTERS = (
    health.router,
    home.router,
    auth_pages.router,
    dashboard.router,
    account.router,
    team.router,
    admin.router,
    lps.router,
    imports.router,
    funds_pages.router,
    decks_pages.router,
    matches_pages.router,
    debates_pages.router,
    weights_pages.router,
    escalations_pages.router,
    batch_pages.router,
    alerts_pages.router,
    pitches_pages.router,
    auth_api.router,
    users_api.router,
    organizations_api.router,
    lps_api.router,
    imports_api.router,
    funds_api.router,
    matches_api.router,
    weights_api.router,
    debates_api.router,
    escalations_api.router,
    pitches_api.router,
)


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # Added innermost first: the request log sees every response, including our 500s.
    app.add_middleware(SessionMiddleware)
    app.add_middleware(MaintenanceMiddleware, enabled=settings.maintenance_mode)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(
        CSRFMiddleware,
        cookies=CookieSpec.for_url(settings.public_url),
        public_url=settings.public_url,
    )
    app.add_middleware(
        DefaultRateLimitMiddleware,
        limit=settings.rate_limit_default,
        enabled=settings.rate_limit_enabled,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "X-CSRF-Token",
            "HX-Request",
            "HX-Target",
            "HX-Current-URL",
            "HX-Trigger",
        ],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestLogMiddleware)


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    """Build the application: middleware, routers, error handlers and lifespan."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.secret_values())
    app = FastAPI(
        title="LPxGP",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Outside development templates do not change: skip Jinja's mtime check on every render.
    templates.env.auto_reload = settings.app_env == "development"
    app.state.clock = clock
    app.state.limiter = configure_limiter(settings)
    app.state.providers = provider_registry(settings)
    # Before the lifespan: requests served by a test client without one still count.
    app.state.counters = Counters()
    app.state.request_metrics = RequestMetrics()
    _add_middleware(app, settings)
    register_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app


def _build_default_app() -> FastAPI:
    try:
        return create_app()
    except ValidationError as exc:
        # One readable message naming every problem, instead of a traceback.
        problems = "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
        sys.stderr.write(f"LPxGP configuration error: {problems}\n")
        raise SystemExit(2) from None


app = _build_default_app()
