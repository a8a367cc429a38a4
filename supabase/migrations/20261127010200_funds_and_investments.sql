-- Funds raised by GP organisations (with their prior funds), and LP commitments.

create table public.funds (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 300),
  fund_number smallint check (fund_number between 1 and 100),
  status text not null default 'draft' check (status in (
    'draft', 'pre_marketing', 'raising', 'first_close', 'final_close', 'closed')),
  target_size_musd numeric(12, 2) check (target_size_musd between 0 and 1000000),
  hard_cap_musd numeric(12, 2) check (hard_cap_musd between 0 and 1000000),
  strategy text not null check (strategy ~ '^[a-z_]+(/[a-z_]+)?$'),
  geographies text[] not null default '{}',
  sectors text[] not null default '{}',
  thesis text,
  team_summary text,
  has_esg_policy boolean not null default false,
  esg_policy_text text,
  is_emerging_manager boolean not null default false,
  first_close_on date,
  created_by uuid references public.people (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint funds_cap_at_least_target check (hard_cap_musd is null or target_size_musd is null
                                              or hard_cap_musd >= target_size_musd),
  -- Lets child tables carry org_id with a composite key that keeps it consistent.
  constraint funds_id_org unique (id, org_id)
);
create index funds_org on public.funds (org_id);
create index funds_status on public.funds (status);
create index funds_strategy on public.funds (strategy);

create table public.fund_track_records (
  id uuid primary key default gen_random_uuid(),
  fund_id uuid not null,
  org_id uuid not null,
  name text not null,
  vintage_year smallint not null check (vintage_year between 1950 and 2100),
  size_musd numeric(12, 2) check (size_musd between 0 and 1000000),
  net_irr_pct numeric(6, 2) check (net_irr_pct between -100 and 100),
  tvpi numeric(6, 2) check (tvpi between 0 and 100),
  foreign key (fund_id, org_id) references public.funds (id, org_id) on delete cascade
);
create index fund_track_records_fund on public.fund_track_records (fund_id);

-- Known commitments of LPs, to our funds or to funds elsewhere in the market.
create table public.investments (
  id uuid primary key default gen_random_uuid(),
  lp_org_id uuid not null references public.organizations (id) on delete cascade,
  fund_id uuid references public.funds (id) on delete set null,
  fund_name text not null,
  manager_name text,
  strategy text check (strategy is null or strategy ~ '^[a-z_]+(/[a-z_]+)?$'),
  vintage_year smallint check (vintage_year between 1950 and 2100),
  amount_musd numeric(12, 2) check (amount_musd between 0 and 1000000),
  committed_on date,
  source text not null default 'public_filing' check (source in (
    'public_filing', 'press', 'manager_reported', 'lp_reported', 'import', 'estimate')),
  confidence numeric(3, 2) not null default 0.8 check (confidence between 0 and 1),
  created_at timestamptz not null default now()
);
create index investments_lp on public.investments (lp_org_id);
create index investments_fund on public.investments (fund_id);

alter table public.funds enable row level security;
alter table public.fund_track_records enable row level security;
alter table public.investments enable row level security;
revoke all on public.funds, public.fund_track_records, public.investments from anon, authenticated;
grant select, insert, update, delete on public.funds, public.fund_track_records, public.investments
  to authenticated;
grant all on public.funds, public.fund_track_records, public.investments to service_role;

create policy funds_select on public.funds for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy funds_write on public.funds for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));

create policy fund_track_records_select on public.fund_track_records for select to authenticated
  using (org_id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy fund_track_records_write on public.fund_track_records for all to authenticated
  using (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()))
  with check (org_id in (select public.user_writable_org_ids()) or (select public.is_platform_admin()));

-- Commitments are market data: everyone signed in reads them, platform admins write them.
create policy investments_select on public.investments for select to authenticated using (true);
create policy investments_admin_write on public.investments for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
