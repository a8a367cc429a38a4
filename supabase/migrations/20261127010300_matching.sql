-- Scoring weights, embeddings, matches and what the GP decided about them.

-- Versioned weights: kind 'rule' (factor weights of the rule score) or 'blend' (components of
-- the final score). Exactly one active version per kind; old versions stay for rollback.
create table public.scoring_weights (
  version integer generated always as identity primary key,
  kind text not null check (kind in ('rule', 'blend')),
  weights jsonb not null check (jsonb_typeof(weights) = 'object'),
  is_active boolean not null default false,
  notes text,
  metrics jsonb,
  created_by uuid references public.people (id) on delete set null,
  created_at timestamptz not null default now()
);
create unique index scoring_weights_one_active on public.scoring_weights (kind) where is_active;

-- One vector per (entity, model); vectors of different models are never compared. The column
-- has no fixed width so several models can coexist; each model gets its own partial HNSW index
-- on a cast to its width.
create table public.embeddings (
  id uuid primary key default gen_random_uuid(),
  entity_type text not null check (entity_type in ('lp_mandate', 'fund_thesis')),
  entity_id uuid not null,
  org_id uuid references public.organizations (id) on delete cascade,
  model text not null,
  dims smallint not null check (dims between 1 and 4096),
  text_hash text not null,
  embedding extensions.vector not null check (extensions.vector_dims(embedding) = dims),
  created_at timestamptz not null default now(),
  constraint embeddings_unique unique (entity_type, entity_id, model)
);
create index embeddings_minilm_hnsw on public.embeddings
  using hnsw ((embedding::extensions.vector(384)) extensions.vector_cosine_ops)
  where model = 'all-minilm-l6-v2-int8';
create index embeddings_org on public.embeddings (org_id) where org_id is not null;

create table public.fund_lp_matches (
  id uuid primary key default gen_random_uuid(),
  fund_id uuid not null,
  org_id uuid not null,
  lp_org_id uuid not null references public.organizations (id) on delete cascade,
  score numeric(5, 2) not null check (score between 0 and 100),
  rule_score numeric(5, 2) check (rule_score between 0 and 100),
  semantic_score numeric(5, 2) check (semantic_score between 0 and 100),
  debate_score numeric(5, 2) check (debate_score between 0 and 100),
  collaborative_score numeric(5, 2) check (collaborative_score between 0 and 100),
  score_breakdown jsonb not null default '{}'::jsonb,
  explanation text,
  talking_points text[] not null default '{}',
  concerns text[] not null default '{}',
  recommendation text check (recommendation in ('pursue', 'investigate', 'deprioritize', 'avoid')),
  confidence numeric(3, 2) check (confidence between 0 and 1),
  is_hidden boolean not null default false,
  weights_version integer references public.scoring_weights (version),
  model_version text,
  prompt_version text,
  computed_at timestamptz not null default now(),
  valid_until timestamptz not null default now() + interval '90 days',
  foreign key (fund_id, org_id) references public.funds (id, org_id) on delete cascade,
  constraint fund_lp_matches_unique unique (fund_id, lp_org_id),
  constraint fund_lp_matches_id_org unique (id, org_id)
);
create index fund_lp_matches_fund_score on public.fund_lp_matches (fund_id, score desc);
create index fund_lp_matches_lp on public.fund_lp_matches (lp_org_id);
create index fund_lp_matches_org on public.fund_lp_matches (org_id);
create index fund_lp_matches_valid on public.fund_lp_matches (valid_until);

create table public.fund_lp_status (
  id uuid primary key default gen_random_uuid(),
  fund_id uuid not null,
  org_id uuid not null,
  lp_org_id uuid not null references public.organizations (id) on delete cascade,
  interest text check (interest in ('interested', 'pursuing', 'not_interested')),
  dismiss_reason text check (dismiss_reason in ('already_in_contact', 'strategy_mismatch',
    'check_size_too_small', 'geographic_mismatch', 'other')),
  stage text not null default 'recommended' check (stage in ('recommended', 'gp_interested',
    'gp_pursuing', 'lp_reviewing', 'mutual_interest', 'in_diligence', 'invested', 'gp_passed',
    'lp_passed')),
  next_step text,
  notes text,
  last_activity_at timestamptz not null default now(),
  updated_by uuid references public.people (id) on delete set null,
  foreign key (fund_id, org_id) references public.funds (id, org_id) on delete cascade,
  constraint fund_lp_status_unique unique (fund_id, lp_org_id),
  constraint fund_lp_status_reason_when_dismissed check (
    (interest = 'not_interested') = (dismiss_reason is not null))
);
create index fund_lp_status_org_stage on public.fund_lp_status (org_id, stage);

create table public.match_feedback (
  id uuid primary key default gen_random_uuid(),
  match_id uuid not null,
  org_id uuid not null,
  person_id uuid references public.people (id) on delete set null,
  rating smallint not null check (rating in (-1, 1)),
  comment text,
  created_at timestamptz not null default now(),
  foreign key (match_id, org_id) references public.fund_lp_matches (id, org_id) on delete cascade
);
create index match_feedback_match on public.match_feedback (match_id);

create table public.match_outcomes (
  id uuid primary key default gen_random_uuid(),
  fund_id uuid not null,
  org_id uuid not null,
  lp_org_id uuid not null references public.organizations (id) on delete cascade,
  outcome text not null check (outcome in ('committed', 'declined_after_meeting',
    'declined_before_meeting', 'no_response')),
  amount_musd numeric(12, 2) check (amount_musd between 0 and 1000000),
  notes text,
  recorded_by uuid references public.people (id) on delete set null,
  recorded_at timestamptz not null default now(),
  foreign key (fund_id, org_id) references public.funds (id, org_id) on delete cascade,
  constraint match_outcomes_unique unique (fund_id, lp_org_id)
);
create index match_outcomes_org on public.match_outcomes (org_id);

alter table public.scoring_weights enable row level security;
alter table public.embeddings enable row level security;
alter table public.fund_lp_matches enable row level security;
alter table public.fund_lp_status enable row level security;
alter table public.match_feedback enable row level security;
alter table public.match_outcomes enable row level security;
revoke all on public.scoring_weights, public.embeddings, public.fund_lp_matches,
  public.fund_lp_status, public.match_feedback, public.match_outcomes from anon, authenticated;
grant select, insert, update, delete on public.scoring_weights, public.embeddings,
  public.fund_lp_matches, public.fund_lp_status, public.match_feedback, public.match_outcomes
  to authenticated;
grant all on public.scoring_weights, public.embeddings, public.fund_lp_matches,
  public.fund_lp_status, public.match_feedback, public.match_outcomes to service_role;

create policy scoring_weights_select on public.scoring_weights for select to authenticated using (true);
create policy scoring_weights_admin_write on public.scoring_weights for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));

-- LP mandate vectors (org_id null) are market data; fund thesis vectors belong to the GP.
create policy embeddings_select on public.embeddings for select to authenticated
  using (org_id is null or org_id in (select public.user_org_ids())
         or (select public.is_platform_admin()));
create policy embeddings_write on public.embeddings for all to authenticated
  using ((org_id is not null and org_id in (select public.user_writable_org_ids()))
         or (select public.is_platform_admin()))
  with check ((org_id is not null and org_id in (select public.user_writable_org_ids()))
              or (select public.is_platform_admin()));

create policy fund_lp_matches_select on public.fund_lp_matches for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy fund_lp_matches_write on public.fund_lp_matches for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));

create policy fund_lp_status_select on public.fund_lp_status for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy fund_lp_status_write on public.fund_lp_status for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));

create policy match_feedback_select on public.match_feedback for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy match_feedback_write on public.match_feedback for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));

create policy match_outcomes_select on public.match_outcomes for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy match_outcomes_write on public.match_outcomes for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));
