"""The platform console's views: what its front page and its Alerts page show."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from src.config import Settings
from src.db.queries import metrics as queries
from src.db.queries.users import Conn
from src.db.tenancy import Pool
from src.errors import NotFound
from src.monitoring.cost import CostBreakdown, get_monthly_cost_breakdown
from src.monitoring.metrics import PlatformMetrics, daily_charts, get_platform_metrics
from src.monitoring.providers import ProviderRegistry
from src.services import health, organizations
from src.services.health import DetailedHealth
from src.services.users import User

ALERTS_SHOWN = 100


@dataclass(frozen=True)
class Overview:
    """The front page: health, the week's figures, 14 days of charts, what needs attention."""

    health: DetailedHealth
    metrics: PlatformMetrics
    charts: list[tuple[str, Markup]]
    unhandled_alerts: list[dict[str, Any]]
    organizations: int


async def overview(
    conn: Conn, user: User, *, pool: Pool, settings: Settings, providers: ProviderRegistry
) -> Overview:
    """Everything the console's front page shows (platform admins)."""
    return Overview(
        health=await health.detailed(pool, settings, providers),
        metrics=await get_platform_metrics(conn, days=7),
        charts=await daily_charts(conn),
        unhandled_alerts=await queries.recent_alerts(conn, limit=ALERTS_SHOWN, unhandled_only=True),
        organizations=await organizations.count_organizations(conn, user),
    )


@dataclass(frozen=True)
class AlertsView:
    """Admin → Alerts: incidents, this month's costs, the week's figures, Slack or not."""

    alerts: list[dict[str, Any]]
    costs: CostBreakdown
    metrics: PlatformMetrics
    slack: bool


async def alerts_view(conn: Conn, settings: Settings) -> AlertsView:
    """The latest alerts (open first), this month's costs and the last 7 days' figures."""
    return AlertsView(
        alerts=await queries.recent_alerts(conn, limit=ALERTS_SHOWN),
        costs=await get_monthly_cost_breakdown(conn, settings),
        metrics=await get_platform_metrics(conn, days=7),
        slack=settings.slack_webhook_url is not None,
    )


async def acknowledge_alert(conn: Conn, alert_id: uuid.UUID) -> None:
    """Mark an alert seen by a platform admin, or NotFound."""
    if not await queries.acknowledge_alert(conn, alert_id):
        raise NotFound("alert", alert_id)
