-- Counters every web process adds to (issue 9): per minute and name, e.g. match cache hits and
-- misses. Each process keeps its own counts and adds them here every few seconds, so several
-- processes add up and no request waits on a shared row.
create table public.metric_counters (
  minute timestamptz not null check (minute = date_trunc('minute', minute)),
  name text not null check (name ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$'),
  value bigint not null check (value >= 0),
  primary key (minute, name)
);

alter table public.metric_counters enable row level security;
revoke all on public.metric_counters from anon, authenticated;
grant select on public.metric_counters to authenticated;
grant all on public.metric_counters to service_role;
create policy metric_counters_admin on public.metric_counters for select to authenticated
  using ((select public.is_platform_admin()));

-- /health/detailed reports the migration level; the service path may read which ran.
grant usage on schema supabase_migrations to service_role;
grant select on supabase_migrations.schema_migrations to service_role;
