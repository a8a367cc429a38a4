-- Request metrics per minute and route (issue 9), added to by every web process: requests,
-- server errors, total latency and a latency histogram (fixed buckets, see
-- src/monitoring/metrics.py), so p50 / p95 can be read across processes and minutes.
create table public.request_metrics (
  minute timestamptz not null check (minute = date_trunc('minute', minute)),
  route text not null check (length(route) between 1 and 200),
  requests integer not null,
  errors integer not null,
  constraint request_metrics_errors check (errors between 0 and requests),
  latency_ms_total double precision not null check (latency_ms_total >= 0),
  buckets integer[] not null check (cardinality(buckets) = 16),
  primary key (minute, route)
);

alter table public.request_metrics enable row level security;
revoke all on public.request_metrics from anon, authenticated;
grant select on public.request_metrics to authenticated;
grant all on public.request_metrics to service_role;
create policy request_metrics_admin on public.request_metrics for select to authenticated
  using ((select public.is_platform_admin()));
