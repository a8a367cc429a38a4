"""Counters and the figures /health/detailed reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, dict_row
from psycopg.types.json import Jsonb

Conn = AsyncConnection[TupleRow]


async def add_counts(conn: Conn, rows: Sequence[tuple[datetime, str, int]]) -> None:
    """Add to each (minute, name) counter."""
    async with conn.cursor() as cur:
        await cur.executemany(
            "insert into public.metric_counters (minute, name, value) values (%s, %s, %s)"
            " on conflict (minute, name) do update"
            " set value = metric_counters.value + excluded.value",
            list(rows),
        )


async def counter_totals(conn: Conn, names: Sequence[str], *, hours: int) -> dict[str, int]:
    """Each counter's total over the last `hours`."""
    cur = await conn.execute(
        "select name, sum(value)::bigint from public.metric_counters"
        " where name = any(%(n)s) and minute > now() - make_interval(hours => %(h)s)"
        " group by name",
        {"n": list(names), "h": hours},
    )
    totals = dict.fromkeys(names, 0)
    totals.update({r[0]: int(r[1]) for r in await cur.fetchall()})
    return totals


async def migration_level(conn: Conn) -> list[str]:
    """Applied migration versions, oldest first."""
    cur = await conn.execute(
        "select version from supabase_migrations.schema_migrations order by version"
    )
    return [str(r[0]) for r in await cur.fetchall()]


async def last_runs(conn: Conn) -> dict[str, dict[str, Any]]:
    """The latest run of each batch job."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """select distinct on (job) job, id, status, phase, started_at, finished_at, summary
           from public.batch_runs order by job, started_at desc"""
    )
    return {r["job"]: r for r in await cur.fetchall()}


async def escalation_backlog(conn: Conn) -> int:
    """Escalations waiting for a reviewer."""
    cur = await conn.execute(
        "select count(*) from public.agent_escalations"
        " where status in ('pending', 'assigned', 'in_review')"
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def llm_spent_today(conn: Conn) -> float:
    """USD spent on LLM calls since midnight UTC."""
    cur = await conn.execute(
        "select coalesce(sum(cost_usd), 0)::float8 from public.llm_calls"
        " where created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'"
    )
    row = await cur.fetchone()
    return float(row[0]) if row else 0.0


async def last_llm_call(conn: Conn) -> dict[str, Any] | None:
    """The latest call to the LLM provider (offline analyses are not calls)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "select status, error, created_at from public.llm_calls where status <> 'offline'"
        " order by created_at desc limit 1"
    )
    return await cur.fetchone()


async def add_request_metrics(
    conn: Conn, rows: Sequence[tuple[datetime, str, int, int, float, list[int]]]
) -> None:
    """Add each (minute, route) tally: counts and totals summed, histograms bucket by bucket."""
    async with conn.cursor() as cur:
        await cur.executemany(
            """insert into public.request_metrics (minute, route, requests, errors,
                 latency_ms_total, buckets) values (%s, %s, %s, %s, %s, %s)
               on conflict (minute, route) do update set
                 requests = request_metrics.requests + excluded.requests,
                 errors = request_metrics.errors + excluded.errors,
                 latency_ms_total = request_metrics.latency_ms_total + excluded.latency_ms_total,
                 buckets = array(select a + b from unnest(request_metrics.buckets,
                                                         excluded.buckets) as u(a, b))""",
            list(rows),
        )


async def request_totals(
    conn: Conn, *, minutes: int
) -> list[tuple[str, int, int, float, list[int]]]:
    """Per route over the last `minutes`: requests, errors, total latency, merged histogram."""
    cur = await conn.execute(
        """select route, sum(requests)::int, sum(errors)::int, sum(latency_ms_total),
             array(select sum(b)::int from public.request_metrics r2,
                   unnest(r2.buckets) with ordinality as u(b, i)
                   where r2.route = r.route
                     and r2.minute > now() - make_interval(mins => %(m)s)
                   group by i order by i)
           from public.request_metrics r
           where minute > now() - make_interval(mins => %(m)s)
           group by route order by sum(requests) desc""",
        {"m": minutes},
    )
    return [(r[0], int(r[1]), int(r[2]), float(r[3]), list(r[4])) for r in await cur.fetchall()]


async def platform_figures(conn: Conn, *, days: int) -> dict[str, Any]:
    """Counts of the seed's platform metrics over the last `days`, from our own tables."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """select
             (select count(distinct actor_user_id) from public.audit_log
                where created_at > now() - make_interval(days => %(d)s)
                  and actor_user_id is not null) as active_users,
             (select count(*) from public.fund_lp_matches
                where computed_at > now() - make_interval(days => %(d)s)) as matches_generated,
             (select count(*) from public.pitch_versions
                where generated_by in ('llm', 'offline')
                  and created_at > now() - make_interval(days => %(d)s)) as pitches_generated,
             (select count(*) from public.agent_debates
                where started_at > now() - make_interval(days => %(d)s)) as debates,
             (select coalesce(sum(cost_usd), 0)::float8 from public.llm_calls
                where created_at > now() - make_interval(days => %(d)s)) as agent_cost_usd""",
        {"d": days},
    )
    row = await cur.fetchone()
    assert row is not None
    return {**row, "agent_cost_usd": round(float(row["agent_cost_usd"]), 4)}


async def llm_cost_since(conn: Conn, since: datetime) -> float:
    """USD spent on LLM calls since `since`."""
    cur = await conn.execute(
        "select coalesce(sum(cost_usd), 0)::float8 from public.llm_calls where created_at >= %s",
        (since,),
    )
    row = await cur.fetchone()
    return float(row[0]) if row else 0.0


async def voyage_characters_since(conn: Conn, since: datetime) -> int:
    """Characters of the texts embedded with a Voyage model since `since`."""
    cur = await conn.execute(
        """select coalesce(sum(length(coalesce(p.mandate_text, f.thesis, ''))), 0)
           from public.embeddings e
           left join public.lp_profiles p on e.entity_type = 'lp_mandate' and p.org_id = e.entity_id
           left join public.funds f on e.entity_type = 'fund_thesis' and f.id = e.entity_id
           where e.model like 'voyage-%%' and e.created_at >= %s""",
        (since,),
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def escalation_rate(conn: Conn, *, hours: int) -> tuple[int, int]:
    """(debates, escalations) over the last `hours`."""
    cur = await conn.execute(
        """select (select count(*) from public.agent_debates
                   where started_at > now() - make_interval(hours => %(h)s)),
                  (select count(*) from public.agent_escalations
                   where created_at > now() - make_interval(hours => %(h)s))""",
        {"h": hours},
    )
    row = await cur.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def open_incident(
    conn: Conn, *, incident: str, kind: str, severity: str, message: str, details: dict[str, Any]
) -> bool:
    """Raise an alert for an incident unless it is already open; whether one was raised."""
    cur = await conn.execute(
        """insert into public.alerts (kind, severity, message, details, incident)
           values (%(k)s, %(s)s, %(m)s, %(d)s, %(i)s)
           on conflict (incident) where resolved_at is null do nothing""",
        {"k": kind, "s": severity, "m": message, "d": Jsonb(details), "i": incident},
    )
    return cur.rowcount == 1


async def resolve_incident(conn: Conn, *, incident: str) -> int:
    """Close an open incident whose condition has cleared."""
    cur = await conn.execute(
        "update public.alerts set resolved_at = now() where incident = %(i)s"
        " and resolved_at is null",
        {"i": incident},
    )
    return cur.rowcount


async def claim_unsent_alerts(conn: Conn, *, limit: int = 50) -> list[dict[str, Any]]:
    """Claim alerts Slack has not accepted yet, oldest first, for one sender.

    Alerts another sender claimed in the last two minutes are left to it.
    """
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """
        update public.alerts a set send_claimed_at = now()
        from (select id from public.alerts
              where sent_at is null
                and (send_claimed_at is null
                     or send_claimed_at < now() - interval '2 minutes')
              order by created_at limit %(n)s for update skip locked) c
        where a.id = c.id
        returning a.id, a.kind, a.severity, a.message, a.details, a.created_at
        """,
        {"n": limit},
    )
    return sorted(await cur.fetchall(), key=lambda row: row["created_at"])


async def mark_sent(conn: Conn, alert_id: Any) -> None:
    """Slack accepted the alert."""
    await conn.execute("update public.alerts set sent_at = now() where id = %s", (alert_id,))


async def release_claims(conn: Conn, alert_ids: Sequence[Any]) -> None:
    """Give back claims not used (Slack refused): the next round tries them again."""
    await conn.execute(
        "update public.alerts set send_claimed_at = null where id = any(%s) and sent_at is null",
        (list(alert_ids),),
    )


async def try_lock(conn: Conn, name: str) -> bool:
    """Take a transaction-scoped advisory lock if no other session holds it."""
    cur = await conn.execute("select pg_try_advisory_xact_lock(hashtext(%s))", (name,))
    row = await cur.fetchone()
    return bool(row and row[0])


async def mark_incident_sent(conn: Conn, *, incident: str) -> None:
    """The open incident's alert already reached Slack."""
    await conn.execute(
        "update public.alerts set sent_at = now() where incident = %(i)s"
        " and resolved_at is null and sent_at is null",
        {"i": incident},
    )


async def recent_alerts(
    conn: Conn, *, limit: int, unhandled_only: bool = False
) -> list[dict[str, Any]]:
    """The latest alerts, open ones first (or only those open and not yet acknowledged).

    A condition's alert resolves when the condition clears; an event's (a failed batch run,
    a spent budget) never does, so acknowledging it is what takes it off the front page.
    """
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "select id, kind, severity, message, created_at, sent_at, resolved_at, acknowledged_at"
        " from public.alerts"
        " where not %(unhandled)s or (resolved_at is null and acknowledged_at is null)"
        " order by resolved_at is not null, created_at desc limit %(n)s",
        {"n": limit, "unhandled": unhandled_only},
    )
    return await cur.fetchall()


async def acknowledge_alert(conn: Conn, alert_id: Any) -> bool:
    """A platform admin has seen the alert (false: no such alert)."""
    cur = await conn.execute(
        "update public.alerts set acknowledged_at = coalesce(acknowledged_at, now())"
        " where id = %(id)s",
        {"id": alert_id},
    )
    return cur.rowcount == 1


async def daily_series(conn: Conn, *, days: int) -> list[dict[str, Any]]:
    """Per day over the last `days`, oldest first.

    Requests, 5xx, the latency histogram, matches computed, pitches drafted and LLM cost.
    """
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """with d as (
             select generate_series((now() at time zone 'utc')::date - (%(n)s - 1),
                                    (now() at time zone 'utc')::date, '1 day')::date as day)
           select d.day,
             coalesce((select sum(requests) from public.request_metrics r
                       where (r.minute at time zone 'utc')::date = d.day), 0)::int as requests,
             coalesce((select sum(errors) from public.request_metrics r
                       where (r.minute at time zone 'utc')::date = d.day), 0)::int as errors,
             array(select coalesce(sum(b), 0)::int from generate_series(1, 16) as i(i)
                   left join lateral (select r.buckets[i.i] as b from public.request_metrics r
                     where (r.minute at time zone 'utc')::date = d.day) x on true
                   group by i.i order by i.i) as buckets,
             (select count(*) from public.fund_lp_matches m
                where (m.computed_at at time zone 'utc')::date = d.day)::int as matches,
             (select count(*) from public.pitch_versions v where v.generated_by <> 'user'
                and (v.created_at at time zone 'utc')::date = d.day)::int as pitches,
             (select coalesce(sum(cost_usd), 0) from public.llm_calls c
                where (c.created_at at time zone 'utc')::date = d.day)::float8 as cost
           from d order by d.day""",
        {"n": days},
    )
    return await cur.fetchall()
