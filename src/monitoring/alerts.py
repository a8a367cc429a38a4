"""The seed's alerts, raised once per incident, kept in `alerts`, sent to Slack.

Every minute one web process (an advisory lock picks it) checks each condition:

| alert | condition | level |
|---|---|---|
| monthly_cost | this month's cost breakdown total > ALERT_MONTHLY_COST_USD | warning |
| agent_cost | LLM spend today > ALERT_DAILY_AGENT_COST_USD | warning |
| error_rate | 5xx share of the last 15 minutes' requests > ALERT_ERROR_RATE | critical |
| latency | p95 of the last 15 minutes > ALERT_P95_MS | critical |
| cache_hit_rate | match cache hit rate of the last hour < ALERT_MIN_CACHE_HIT_RATE | warning |
| escalation_rate | escalations per debate over 24 h > ALERT_MAX_ESCALATION_RATE | warning |
| database_connection | the database does not answer | critical |

Rates need enough traffic to mean something (MIN_SAMPLES). A firing condition opens an
incident (one alert); while it stays open nothing more is raised; when the condition clears the
incident is resolved, and a new one can open later. Batch failures, deadlines and the LLM
budget write their own alerts when they happen. Unsent alerts are posted to the Slack webhook
and marked sent once Slack accepts them; a refused post is retried next minute. When the
database itself is down the alert goes straight to Slack and is stored once it is back.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import psycopg
from psycopg_pool import PoolTimeout

from src.config import Settings
from src.db.queries import metrics as queries
from src.db.tenancy import Pool, service_transaction
from src.monitoring import cost
from src.monitoring.metrics import overall

logger = logging.getLogger(__name__)
MIN_SAMPLES: Final = 20
CHECK_SECONDS: Final = 60.0
DATABASE_INCIDENT: Final = "database_connection"


@dataclass(frozen=True)
class Finding:
    """One condition's state now."""

    incident: str
    severity: str
    firing: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The alert kind (the incident without its key)."""
        return self.incident.split(":", 1)[0]


async def evaluate(conn: queries.Conn, settings: Settings) -> list[Finding]:
    """Every condition's state (the database answered)."""
    costs = await cost.get_monthly_cost_breakdown(conn, settings)
    spent = await queries.llm_spent_today(conn)
    traffic = await overall(conn, minutes=15)
    cache = await queries.counter_totals(conn, ("match_cache.hit", "match_cache.miss"), hours=1)
    lookups = cache["match_cache.hit"] + cache["match_cache.miss"]
    hit_rate = cache["match_cache.hit"] / lookups if lookups else 1.0
    debates, escalations = await queries.escalation_rate(conn, hours=24)
    busy = traffic.requests >= MIN_SAMPLES
    p95 = traffic.p95_ms or 0.0
    return [
        Finding("monthly_cost", "warning", costs.total > settings.alert_monthly_cost_usd,
                f"This month's costs are ${costs.total:,.2f}, over the"
                f" ${settings.alert_monthly_cost_usd:,.0f} threshold.", costs.model_dump()),
        Finding("agent_cost", "warning", spent > settings.alert_daily_agent_cost_usd,
                f"LLM spend today is ${spent:,.2f}, over"
                f" ${settings.alert_daily_agent_cost_usd:,.0f}.", {"spent_usd": spent}),
        Finding("error_rate", "critical", busy and traffic.error_rate > settings.alert_error_rate,
                f"{traffic.error_rate:.1%} of the last 15 minutes' {traffic.requests} requests"
                " failed with a server error.",
                {"requests": traffic.requests, "errors": traffic.errors}),
        Finding("latency", "critical", busy and p95 > settings.alert_p95_ms,
                f"p95 latency over the last 15 minutes is {p95:,.0f} ms.",
                {"p95_ms": p95, "requests": traffic.requests}),
        Finding("cache_hit_rate", "warning",
                lookups >= MIN_SAMPLES and hit_rate < settings.alert_min_cache_hit_rate,
                f"Only {hit_rate:.0%} of the last hour's {lookups} match lists were served"
                " from stored matches.", {"hits": cache["match_cache.hit"], "lookups": lookups}),
        Finding("escalation_rate", "warning",
                debates >= MIN_SAMPLES
                and escalations / debates > settings.alert_max_escalation_rate,
                f"{escalations} of the last 24 hours' {debates} debates went to human review.",
                {"debates": debates, "escalations": escalations}),
    ]  # fmt: skip


async def apply(conn: queries.Conn, findings: list[Finding]) -> list[str]:
    """Open incidents that fire, resolve those that cleared; the incidents opened now."""
    opened = []
    for finding in findings:
        if finding.firing:
            raised = await queries.open_incident(
                conn, incident=finding.incident, kind=finding.kind, severity=finding.severity,
                message=finding.message, details=finding.details,
            )  # fmt: skip
            if raised:
                opened.append(finding.incident)
        else:
            await queries.resolve_incident(conn, incident=finding.incident)
    return opened


class Slack:
    """Posts to a Slack incoming webhook (nothing is sent when none is configured)."""

    def __init__(self, url: str | None, *, transport: httpx.AsyncBaseTransport | None = None):
        self.url = url
        self.client = httpx.AsyncClient(timeout=10, transport=transport)

    async def post(self, severity: str, message: str) -> bool:
        """Whether Slack accepted the message."""
        if not self.url:
            return False
        icon = ":rotating_light:" if severity == "critical" else ":warning:"
        try:
            response = await self.client.post(
                self.url, json={"text": f"{icon} *{severity.upper()}* LPxGP: {message}"}
            )
        except httpx.HTTPError as exc:
            logger.warning("slack_unreachable", extra={"error": type(exc).__name__})
            return False
        if response.status_code >= 300:
            logger.warning("slack_refused", extra={"status": response.status_code})
            return False
        return True

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


class AlertMonitor:
    """Checks the conditions, keeps incidents, and delivers alerts."""

    def __init__(self, pool: Pool, settings: Settings, slack: Slack) -> None:
        self.pool = pool
        self.settings = settings
        self.slack = slack
        self.database_down_since: datetime | None = None
        self.database_alert_sent = False

    async def check(self) -> list[str]:
        """One round: evaluate (if this process holds the lock), then deliver."""
        try:
            async with service_transaction(self.pool) as conn:
                opened = []
                if await queries.try_lock(conn, "lpxgp.alerts"):
                    opened = await apply(conn, await evaluate(conn, self.settings))
                    opened += await self._database_back(conn)
            await self.deliver()
        except (psycopg.OperationalError, PoolTimeout):
            await self._database_down()
            return [DATABASE_INCIDENT]
        return opened

    async def deliver(self) -> int:
        """Post unsent alerts to Slack, oldest first; stop at the first refusal.

        Claimed in one short transaction and marked sent one by one: no transaction stays
        open while Slack is slow, and a second process never posts the same alert.
        """
        if not self.slack.url:
            return 0
        async with service_transaction(self.pool) as conn:
            claimed = await queries.claim_unsent_alerts(conn)
        sent = 0
        for alert in claimed:
            if not await self.slack.post(alert["severity"], alert["message"]):
                break
            async with service_transaction(self.pool) as conn:
                await queries.mark_sent(conn, alert["id"])
            sent += 1
        if sent < len(claimed):
            async with service_transaction(self.pool) as conn:
                await queries.release_claims(conn, [a["id"] for a in claimed[sent:]])
        return sent

    async def _database_down(self) -> None:
        if self.database_down_since is None:
            self.database_down_since = datetime.now(UTC)
        if not self.database_alert_sent:
            self.database_alert_sent = await self.slack.post(
                "critical", "The database does not answer (connection failures)."
            )

    async def _database_back(self, conn: queries.Conn) -> list[str]:
        """After an outage: store the incident (already sent) and resolve it."""
        if self.database_down_since is None:
            return []
        since, self.database_down_since = self.database_down_since, None
        minutes = (datetime.now(UTC) - since).total_seconds() / 60
        await queries.open_incident(
            conn, incident=DATABASE_INCIDENT, kind=DATABASE_INCIDENT, severity="critical",
            message=f"The database did not answer for about {minutes:.0f} minute(s).",
            details={"down_since": since.isoformat()},
        )  # fmt: skip
        if self.database_alert_sent:
            await queries.mark_incident_sent(conn, incident=DATABASE_INCIDENT)
        self.database_alert_sent = False
        await queries.resolve_incident(conn, incident=DATABASE_INCIDENT)
        return [DATABASE_INCIDENT]

    async def run(self, every: float = CHECK_SECONDS) -> None:
        """Check every `every` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.check()
            except Exception:
                logger.exception("alert_check_failed")
