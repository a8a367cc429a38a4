-- Funds, matches and the pipeline (issue 6).

-- A draft may be saved before its strategy and size are known; a fund leaves draft (and can be
-- matched) only with both.
alter table public.funds alter column strategy drop not null;
alter table public.funds add constraint funds_published_complete
  check (status = 'draft' or (strategy is not null and target_size_musd is not null));
-- Sizes are shares of which every cheque is measured: never zero.
alter table public.funds add constraint funds_sizes_positive
  check (target_size_musd > 0 and hard_cap_musd > 0);

-- Freshness (PRODUCT.md): a match stays valid until its fund or LP changes. Expiring the rows
-- here, in the same transaction as the change, means no code path can forget to.
create function public.expire_fund_matches() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  update public.fund_lp_matches set valid_until = now()
  where fund_id = coalesce(new.fund_id, old.fund_id) and valid_until > now();
  return null;
end
$$;

create function public.expire_fund_matches_on_fund() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if (old.status, old.target_size_musd, old.hard_cap_musd, old.strategy, old.geographies,
      old.sectors, old.thesis, old.has_esg_policy, old.is_emerging_manager)
     is distinct from
     (new.status, new.target_size_musd, new.hard_cap_musd, new.strategy, new.geographies,
      new.sectors, new.thesis, new.has_esg_policy, new.is_emerging_manager) then
    update public.fund_lp_matches set valid_until = now()
    where fund_id = new.id and valid_until > now();
  end if;
  return null;
end
$$;

create function public.expire_lp_matches() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if (old.is_active, old.mandate_text, old.strategies, old.geographies, old.sectors,
      old.check_size_min_musd, old.check_size_max_musd, old.fund_size_min_musd,
      old.fund_size_max_musd, old.min_track_record_years, old.esg_required,
      old.emerging_manager_program)
     is distinct from
     (new.is_active, new.mandate_text, new.strategies, new.geographies, new.sectors,
      new.check_size_min_musd, new.check_size_max_musd, new.fund_size_min_musd,
      new.fund_size_max_musd, new.min_track_record_years, new.esg_required,
      new.emerging_manager_program) then
    update public.fund_lp_matches set valid_until = now()
    where lp_org_id = new.org_id and valid_until > now();
  end if;
  return null;
end
$$;
revoke all on function public.expire_fund_matches(), public.expire_fund_matches_on_fund(),
  public.expire_lp_matches() from public;

create trigger funds_expire_matches after update on public.funds
  for each row execute function public.expire_fund_matches_on_fund();
create trigger fund_track_records_expire_matches
  after insert or update or delete on public.fund_track_records
  for each row execute function public.expire_fund_matches();
create trigger lp_profiles_expire_matches after update on public.lp_profiles
  for each row execute function public.expire_lp_matches();

-- A mandate vector that arrives (indexing finished) or changes (new text, new model) changes
-- that LP's meaning-based score: expire its matches too.
create function public.expire_lp_matches_on_vector() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.entity_type = 'lp_mandate' then
    update public.fund_lp_matches set valid_until = now()
    where lp_org_id = new.entity_id and valid_until > now();
  end if;
  return null;
end
$$;
revoke all on function public.expire_lp_matches_on_vector() from public;
create trigger embeddings_expire_lp_matches after insert or update of embedding
  on public.embeddings for each row execute function public.expire_lp_matches_on_vector();

create index fund_lp_matches_fund_valid on public.fund_lp_matches (fund_id, valid_until);

-- The activity feed: every shortlist, stage change, dismissal, feedback and outcome, readable by
-- the organisation's members (the audit log is for its admins). Append-only.
create table public.pipeline_events (
  id bigint generated always as identity primary key,
  org_id uuid not null,
  fund_id uuid not null,
  lp_org_id uuid not null references public.organizations (id) on delete cascade,
  actor_person_id uuid references public.people (id) on delete set null,
  kind text not null check (kind in ('interest', 'stage', 'dismissed', 'restored', 'feedback',
                                     'outcome', 'note')),
  from_stage text,
  to_stage text,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  foreign key (fund_id, org_id) references public.funds (id, org_id) on delete cascade
);
create index pipeline_events_org_created on public.pipeline_events (org_id, created_at desc);
create index pipeline_events_fund on public.pipeline_events (fund_id, org_id);
create index pipeline_events_lp on public.pipeline_events (lp_org_id);
create index pipeline_events_actor on public.pipeline_events (actor_person_id);

alter table public.pipeline_events enable row level security;
revoke all on public.pipeline_events from anon, authenticated;
grant select, insert on public.pipeline_events to authenticated;
grant all on public.pipeline_events to service_role;
create policy pipeline_events_select on public.pipeline_events for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy pipeline_events_insert on public.pipeline_events for insert to authenticated
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));

-- Pitch decks: the stored PDF (at `{org_id}/{uuid}.pdf` in the storage provider), its text, and
-- the fields proposed from it. Nothing reaches the fund until the GP confirms the proposals.
create table public.fund_decks (
  id uuid primary key default gen_random_uuid(),
  fund_id uuid not null,
  org_id uuid not null,
  storage_path text not null unique,
  file_name text not null check (length(file_name) between 1 and 255),
  size_bytes integer not null check (size_bytes between 1 and 26214400),
  page_count integer not null check (page_count between 1 and 10000),
  extracted_text text not null default '',
  proposals jsonb not null default '{}'::jsonb check (jsonb_typeof(proposals) = 'object'),
  status text not null default 'proposed' check (status in ('proposed', 'confirmed',
                                                             'discarded')),
  uploaded_by uuid references public.people (id) on delete set null,
  created_at timestamptz not null default now(),
  confirmed_at timestamptz,
  constraint fund_decks_path_in_org_folder check (
    storage_path ~ ('^' || org_id::text || '/[0-9a-f-]{36}\.pdf$')),
  foreign key (fund_id, org_id) references public.funds (id, org_id) on delete cascade
);
create index fund_decks_fund on public.fund_decks (fund_id, org_id);
create index fund_decks_uploaded_by on public.fund_decks (uploaded_by);

alter table public.fund_decks enable row level security;
revoke all on public.fund_decks from anon, authenticated;
grant select, insert, update, delete on public.fund_decks to authenticated;
grant all on public.fund_decks to service_role;
create policy fund_decks_select on public.fund_decks for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy fund_decks_write on public.fund_decks for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));

-- New scoring weights make every stored score stale. Only a platform admin may expire them all.
create function public.expire_all_matches() returns bigint
language plpgsql security definer set search_path = ''
as $$
declare
  expired bigint;
begin
  if not public.is_platform_admin() and coalesce(auth.role(), '') <> 'service_role' then
    raise exception 'only platform admins change scoring weights' using errcode = '42501';
  end if;
  update public.fund_lp_matches set valid_until = now() where valid_until > now();
  get diagnostics expired = row_count;
  return expired;
end
$$;
revoke all on function public.expire_all_matches() from public;
grant execute on function public.expire_all_matches() to authenticated, service_role;
