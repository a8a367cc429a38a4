-- LP market data (readable by every signed-in user, written by platform admins) and GP
-- profiles (their own organisation only).

create table public.lp_profiles (
  org_id uuid primary key references public.organizations (id) on delete cascade,
  lp_type text not null check (lp_type in (
    'public_pension', 'corporate_pension', 'endowment', 'foundation', 'family_office',
    'sovereign_wealth', 'insurance', 'fund_of_funds', 'bank', 'ria', 'other')),
  aum_musd numeric(12, 2) check (aum_musd between 0 and 1000000),
  private_markets_allocation_pct numeric(5, 2) check (private_markets_allocation_pct between 0 and 100),
  strategies text[] not null default '{}',
  geographies text[] not null default '{}',
  sectors text[] not null default '{}',
  check_size_min_musd numeric(12, 2) check (check_size_min_musd between 0 and 1000000),
  check_size_max_musd numeric(12, 2) check (check_size_max_musd between 0 and 1000000),
  fund_size_min_musd numeric(12, 2) check (fund_size_min_musd between 0 and 1000000),
  fund_size_max_musd numeric(12, 2) check (fund_size_max_musd between 0 and 1000000),
  min_track_record_years smallint check (min_track_record_years between 0 and 50),
  esg_required boolean,
  emerging_manager_program boolean,
  actively_looking boolean,
  is_active boolean not null default true,
  region text check (region in ('north_america', 'europe', 'nordics', 'asia_pacific',
                                'latin_america', 'middle_east_africa', 'global')),
  mandate_text text,
  description text,
  data_quality_score numeric(4, 3) not null default 0 check (data_quality_score between 0 and 1),
  last_verified_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint lp_profiles_check_size_range check (check_size_min_musd <= check_size_max_musd),
  constraint lp_profiles_fund_size_range check (fund_size_min_musd <= fund_size_max_musd)
);
create index lp_profiles_type on public.lp_profiles (lp_type);
create index lp_profiles_aum on public.lp_profiles (aum_musd);
create index lp_profiles_region on public.lp_profiles (region);
create index lp_profiles_strategies on public.lp_profiles using gin (strategies);
create index lp_profiles_geographies on public.lp_profiles using gin (geographies);
create index lp_profiles_sectors on public.lp_profiles using gin (sectors);
create index lp_profiles_quality on public.lp_profiles (data_quality_score);
create index lp_profiles_mandate_fts on public.lp_profiles using gin (
  to_tsvector('english', coalesce(mandate_text, '') || ' ' || coalesce(description, '')));
create index lp_profiles_mandate_trgm on public.lp_profiles using gin (mandate_text extensions.gin_trgm_ops);

create table public.gp_profiles (
  org_id uuid primary key references public.organizations (id) on delete cascade,
  aum_musd numeric(12, 2) check (aum_musd between 0 and 1000000),
  founded_year smallint check (founded_year between 1900 and 2100),
  description text,
  team_size smallint check (team_size between 0 and 10000),
  updated_at timestamptz not null default now()
);

alter table public.lp_profiles enable row level security;
alter table public.gp_profiles enable row level security;
revoke all on public.lp_profiles, public.gp_profiles from anon, authenticated;
grant select, insert, update, delete on public.lp_profiles, public.gp_profiles to authenticated;
grant all on public.lp_profiles, public.gp_profiles to service_role;

create policy lp_profiles_select on public.lp_profiles for select to authenticated using (true);
create policy lp_profiles_admin_write on public.lp_profiles for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));

create policy gp_profiles_select on public.gp_profiles for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy gp_profiles_write on public.gp_profiles for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));
