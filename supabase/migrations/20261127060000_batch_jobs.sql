-- Batch jobs (issue 8): a work queue any number of workers share, the change log the
-- incremental job reads, GP requests for a full analysis, the collaborative signal, and the
-- monthly retrain's reports.

-- A run moves through phases (score → debate → pitch → done); its workers join it while it is
-- running. One running run per job: a second start joins the first instead of overlapping it.
alter table public.batch_runs
  add column phase text not null default 'score'
    check (phase in ('plan', 'score', 'debate', 'pitch', 'retrain', 'done')),
  add column params jsonb not null default '{}'::jsonb check (jsonb_typeof(params) = 'object'),
  add column deadline_at timestamptz,
  add column since timestamptz,
  add column summary text;
create unique index batch_runs_one_running on public.batch_runs (job) where status = 'running';

-- One unit of work. Claimed with `for update skip locked`; a claim is a lease the worker keeps
-- extending while it works, so a killed worker's items return to the queue when it lapses.
-- Each phase's results are written per (fund, LP) in the same transaction that marks the item
-- done, so a retried item never writes twice.
create table public.batch_items (
  id bigint generated always as identity primary key,
  run_id uuid not null references public.batch_runs (id) on delete cascade,
  phase text not null check (phase in ('score', 'debate', 'pitch')),
  fund_id uuid not null references public.funds (id) on delete cascade,
  -- debate and pitch items: the LP; score items: null
  lp_org_id uuid references public.organizations (id) on delete cascade,
  -- score items: rescore only these LPs against the fund (null: every LP)
  lp_ids uuid[],
  priority integer not null default 0,
  status text not null default 'pending'
    check (status in ('pending', 'claimed', 'done', 'failed', 'deferred', 'skipped')),
  attempts smallint not null default 0 check (attempts >= 0),
  claimed_by text,
  lease_until timestamptz,
  result jsonb not null default '{}'::jsonb check (jsonb_typeof(result) = 'object'),
  error text,
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint batch_items_claim check ((status = 'claimed') = (lease_until is not null)),
  constraint batch_items_target check ((phase = 'score') = (lp_org_id is null)),
  constraint batch_items_unique unique nulls not distinct (run_id, phase, fund_id, lp_org_id)
);
create index batch_items_queue on public.batch_items (run_id, phase, status, priority, id);
create index batch_items_fund on public.batch_items (fund_id);
create index batch_items_lp on public.batch_items (lp_org_id) where lp_org_id is not null;

alter table public.batch_items enable row level security;
revoke all on public.batch_items from anon, authenticated;
grant select, insert, update, delete on public.batch_items to authenticated;
grant all on public.batch_items to service_role;
create policy batch_items_admin on public.batch_items for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));

-- What changed in a way that changes matches (the same columns that expire them), for the
-- incremental job: funds (and their track record) and LPs (and their mandate vector),
-- including new ones. Append-only; the nightly job trims entries older than 35 days.
create table public.entity_changes (
  id bigint generated always as identity primary key,
  entity_type text not null check (entity_type in ('fund', 'lp')),
  entity_id uuid not null,
  changed_at timestamptz not null default now()
);
create index entity_changes_changed on public.entity_changes (changed_at);

alter table public.entity_changes enable row level security;
revoke all on public.entity_changes from anon, authenticated;
grant select on public.entity_changes to authenticated;
grant all on public.entity_changes to service_role;
create policy entity_changes_admin on public.entity_changes for select to authenticated
  using ((select public.is_platform_admin()));

create function public.log_entity_change() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  kind text := tg_argv[0];
  changed uuid;
begin
  if tg_table_name = 'embeddings' then
    changed := new.entity_id;
  elsif tg_table_name = 'fund_track_records' then
    changed := coalesce(new.fund_id, old.fund_id);
  elsif tg_table_name = 'lp_profiles' then
    changed := new.org_id;
  else
    changed := new.id;
  end if;
  insert into public.entity_changes (entity_type, entity_id) values (kind, changed);
  return null;
end
$$;
revoke all on function public.log_entity_change() from public;

create trigger funds_log_change after insert on public.funds
  for each row execute function public.log_entity_change('fund');
create trigger funds_log_update after update on public.funds
  for each row when ((old.status, old.target_size_musd, old.hard_cap_musd, old.strategy,
      old.geographies, old.sectors, old.thesis, old.has_esg_policy, old.is_emerging_manager)
    is distinct from (new.status, new.target_size_musd, new.hard_cap_musd, new.strategy,
      new.geographies, new.sectors, new.thesis, new.has_esg_policy, new.is_emerging_manager))
  execute function public.log_entity_change('fund');
create trigger fund_track_records_log_change after insert or update or delete
  on public.fund_track_records
  for each row execute function public.log_entity_change('fund');
create trigger lp_profiles_log_change after insert on public.lp_profiles
  for each row execute function public.log_entity_change('lp');
create trigger lp_profiles_log_update after update on public.lp_profiles
  for each row when ((old.is_active, old.mandate_text, old.strategies, old.geographies,
      old.sectors, old.check_size_min_musd, old.check_size_max_musd, old.fund_size_min_musd,
      old.fund_size_max_musd, old.min_track_record_years, old.esg_required,
      old.emerging_manager_program, old.lp_type)
    is distinct from (new.is_active, new.mandate_text, new.strategies, new.geographies,
      new.sectors, new.check_size_min_musd, new.check_size_max_musd, new.fund_size_min_musd,
      new.fund_size_max_musd, new.min_track_record_years, new.esg_required,
      new.emerging_manager_program, new.lp_type))
  execute function public.log_entity_change('lp');
-- A mandate vector that arrives changes that LP's meaning-based scores. A thesis vector is
-- made from the fund's current thesis when the fund is scored (a thesis edit is logged above).
create trigger embeddings_log_change after insert or update of embedding on public.embeddings
  for each row when (new.entity_type = 'lp_mandate')
  execute function public.log_entity_change('lp');

-- A GP's request that a fund's top matches get the full analysis in the next nightly run (set
-- when the fund is published or edited; cleared by the run that analysed them).
alter table public.funds add column analysis_requested_at timestamptz;

-- Response rates of LP segments (type) to fund segments (top-level strategy), from recorded
-- outcomes of at least five organisations. No organisation ids: it is shared market knowledge.
create table public.collaborative_signals (
  lp_type text not null,
  fund_strategy text not null check (fund_strategy ~ '^[a-z_]+$'),
  contributors integer not null check (contributors >= 5),
  samples integer not null,
  responses integer not null,
  response_rate numeric(5, 4) not null check (response_rate between 0 and 1),
  computed_at timestamptz not null default now(),
  primary key (lp_type, fund_strategy),
  constraint collaborative_signals_counts check (samples >= contributors
    and responses between 0 and samples)
);

alter table public.collaborative_signals enable row level security;
revoke all on public.collaborative_signals from anon, authenticated;
grant select on public.collaborative_signals to authenticated;
grant all on public.collaborative_signals to service_role;
create policy collaborative_signals_select on public.collaborative_signals for select
  to authenticated using (true);

-- What each monthly retrain found and decided (and each rollback).
create table public.retrain_reports (
  id uuid primary key default gen_random_uuid(),
  run_id uuid references public.batch_runs (id) on delete set null,
  decision text not null check (decision in ('adopted', 'kept', 'insufficient_data',
                                             'rolled_back')),
  samples integer not null default 0,
  positives integer not null default 0,
  organisations integer not null default 0 check (organisations >= 0),
  current_version integer references public.scoring_weights (version),
  new_version integer references public.scoring_weights (version),
  metrics jsonb not null default '{}'::jsonb check (jsonb_typeof(metrics) = 'object'),
  message text not null,
  created_at timestamptz not null default now(),
  constraint retrain_reports_positives check (positives between 0 and samples)
);
create index retrain_reports_created on public.retrain_reports (created_at desc);
create index retrain_reports_run on public.retrain_reports (run_id);
create index retrain_reports_current on public.retrain_reports (current_version);
create index retrain_reports_new on public.retrain_reports (new_version);

alter table public.retrain_reports enable row level security;
revoke all on public.retrain_reports from anon, authenticated;
grant select, insert, update, delete on public.retrain_reports to authenticated;
grant all on public.retrain_reports to service_role;
create policy retrain_reports_admin on public.retrain_reports for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
