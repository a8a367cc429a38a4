-- Pitches, agent debates and escalations, and the operational tables (batch runs, LLM calls,
-- alerts, invitations, audit log).

create table public.pitches (
  id uuid primary key default gen_random_uuid(),
  match_id uuid not null,
  org_id uuid not null,
  kind text not null check (kind in ('email', 'executive_summary')),
  tone text not null default 'warm' check (tone in ('formal', 'warm', 'direct')),
  created_by uuid references public.people (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (match_id, org_id) references public.fund_lp_matches (id, org_id) on delete cascade,
  constraint pitches_id_org unique (id, org_id)
);
create index pitches_match on public.pitches (match_id);

create table public.pitch_versions (
  id uuid primary key default gen_random_uuid(),
  pitch_id uuid not null,
  org_id uuid not null,
  version integer not null check (version >= 1),
  subject text,
  body text not null,
  generated_by text not null check (generated_by in ('llm', 'offline', 'user')),
  created_by uuid references public.people (id) on delete set null,
  created_at timestamptz not null default now(),
  foreign key (pitch_id, org_id) references public.pitches (id, org_id) on delete cascade,
  constraint pitch_versions_unique unique (pitch_id, version)
);

create table public.agent_debates (
  id uuid primary key default gen_random_uuid(),
  fund_id uuid not null,
  org_id uuid not null,
  lp_org_id uuid not null references public.organizations (id) on delete cascade,
  status text not null default 'running' check (status in ('running', 'completed', 'escalated', 'failed')),
  rounds smallint not null default 0 check (rounds between 0 and 3),
  bull_score numeric(5, 2) check (bull_score between 0 and 100),
  bear_score numeric(5, 2) check (bear_score between 0 and 100),
  final_score numeric(5, 2) check (final_score between 0 and 100),
  confidence numeric(3, 2) check (confidence between 0 and 1),
  model_version text,
  prompt_version text,
  started_at timestamptz not null default now(),
  completed_at timestamptz,
  foreign key (fund_id, org_id) references public.funds (id, org_id) on delete cascade,
  constraint agent_debates_id_org unique (id, org_id)
);
create index agent_debates_fund_lp on public.agent_debates (fund_id, lp_org_id);

create table public.agent_debate_messages (
  id uuid primary key default gen_random_uuid(),
  debate_id uuid not null,
  org_id uuid not null,
  round smallint not null check (round between 1 and 3),
  agent text not null check (agent in ('bull', 'bear', 'synthesizer')),
  score numeric(5, 2) check (score between 0 and 100),
  content jsonb not null,
  created_at timestamptz not null default now(),
  foreign key (debate_id, org_id) references public.agent_debates (id, org_id) on delete cascade
);
create index agent_debate_messages_debate on public.agent_debate_messages (debate_id, round);

-- The human review queue: platform admins work it; the GP sees only the outcome on the match.
create table public.agent_escalations (
  id uuid primary key default gen_random_uuid(),
  debate_id uuid not null references public.agent_debates (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  kind text not null check (kind in ('score_disagreement', 'confidence_collapse', 'deal_breaker', 'data_quality')),
  priority text not null check (priority in ('low', 'medium', 'high')),
  status text not null default 'pending' check (status in ('pending', 'assigned', 'in_review', 'resolved', 'dismissed')),
  assigned_to uuid references public.people (id) on delete set null,
  reviewer_score numeric(5, 2) check (reviewer_score between 0 and 100),
  reviewer_reasoning text,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  constraint agent_escalations_resolution check (
    status not in ('resolved') or (reviewer_score is not null and reviewer_reasoning is not null))
);
create index agent_escalations_queue on public.agent_escalations (status, priority, created_at);

create table public.batch_runs (
  id uuid primary key default gen_random_uuid(),
  job text not null check (job in ('nightly', 'incremental', 'monthly_retrain')),
  status text not null default 'running' check (status in ('running', 'succeeded', 'partial', 'failed')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  heartbeat_at timestamptz not null default now(),
  counts jsonb not null default '{}'::jsonb,
  llm_tokens bigint not null default 0 check (llm_tokens >= 0),
  llm_cost_usd numeric(12, 4) not null default 0 check (llm_cost_usd >= 0),
  errors jsonb not null default '[]'::jsonb
);
create index batch_runs_job_started on public.batch_runs (job, started_at desc);

create table public.llm_calls (
  id uuid primary key default gen_random_uuid(),
  org_id uuid references public.organizations (id) on delete set null,
  agent text not null,
  model text not null,
  prompt_name text,
  prompt_version text,
  input_tokens integer not null default 0 check (input_tokens >= 0),
  output_tokens integer not null default 0 check (output_tokens >= 0),
  cost_usd numeric(12, 6) not null default 0 check (cost_usd >= 0),
  latency_ms integer check (latency_ms >= 0),
  status text not null check (status in ('ok', 'error', 'offline')),
  error text,
  debate_id uuid references public.agent_debates (id) on delete set null,
  batch_run_id uuid references public.batch_runs (id) on delete set null,
  created_at timestamptz not null default now()
);
create index llm_calls_created on public.llm_calls (created_at);

create table public.alerts (
  id uuid primary key default gen_random_uuid(),
  kind text not null,
  severity text not null check (severity in ('warning', 'critical')),
  message text not null,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  acknowledged_at timestamptz
);
create index alerts_created on public.alerts (created_at desc);

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  email text not null check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  access_role text not null check (access_role in ('viewer', 'member', 'admin')),
  token_hash text not null unique,
  invited_by uuid references public.people (id) on delete set null,
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
-- One open invitation per email (expiry is checked by the service: now() cannot index).
create unique index invitations_one_open on public.invitations (lower(email))
  where accepted_at is null and revoked_at is null;

create table public.audit_log (
  id bigint generated always as identity primary key,
  org_id uuid references public.organizations (id) on delete set null,
  actor_user_id uuid,
  action text not null,
  entity_type text,
  entity_id text,
  details jsonb not null default '{}'::jsonb,
  ip inet,
  created_at timestamptz not null default now()
);
create index audit_log_org_created on public.audit_log (org_id, created_at desc);

alter table public.pitches enable row level security;
alter table public.pitch_versions enable row level security;
alter table public.agent_debates enable row level security;
alter table public.agent_debate_messages enable row level security;
alter table public.agent_escalations enable row level security;
alter table public.batch_runs enable row level security;
alter table public.llm_calls enable row level security;
alter table public.alerts enable row level security;
alter table public.invitations enable row level security;
alter table public.audit_log enable row level security;
revoke all on public.pitches, public.pitch_versions, public.agent_debates,
  public.agent_debate_messages, public.agent_escalations, public.batch_runs, public.llm_calls,
  public.alerts, public.invitations, public.audit_log from anon, authenticated;
grant select, insert, update, delete on public.pitches, public.pitch_versions,
  public.agent_debates, public.agent_debate_messages, public.agent_escalations,
  public.batch_runs, public.llm_calls, public.alerts, public.invitations to authenticated;
grant select, insert on public.audit_log to authenticated;
grant all on public.pitches, public.pitch_versions, public.agent_debates,
  public.agent_debate_messages, public.agent_escalations, public.batch_runs, public.llm_calls,
  public.alerts, public.invitations, public.audit_log to service_role;

create policy pitches_select on public.pitches for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy pitches_write on public.pitches for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));
create policy pitch_versions_select on public.pitch_versions for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy pitch_versions_write on public.pitch_versions for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));

-- Debates are written by the batch (service path); the owning GP reads them.
create policy agent_debates_select on public.agent_debates for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy agent_debates_admin_write on public.agent_debates for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
create policy agent_debate_messages_select on public.agent_debate_messages for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy agent_debate_messages_admin_write on public.agent_debate_messages for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));

create policy agent_escalations_admin on public.agent_escalations for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
create policy batch_runs_admin on public.batch_runs for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
create policy llm_calls_admin on public.llm_calls for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
create policy alerts_admin on public.alerts for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));

create policy invitations_select on public.invitations for select to authenticated
  using (org_id in (select public.user_admin_org_ids()) or (select public.is_platform_admin()));
create policy invitations_write on public.invitations for all to authenticated
  using (org_id in (select public.user_admin_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_admin_org_ids()) or (select public.is_platform_admin()));

create policy audit_log_select on public.audit_log for select to authenticated
  using (org_id in (select public.user_admin_org_ids()) or (select public.is_platform_admin()));
create policy audit_log_insert_own on public.audit_log for insert to authenticated
  with check (actor_user_id = (select auth.uid()));
