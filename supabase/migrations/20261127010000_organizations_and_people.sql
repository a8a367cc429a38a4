-- Organisations (GPs and LPs), people, who works where, and the helpers every policy uses.
-- Money is in millions of USD throughout (numeric, 0 .. 1,000,000).

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 300),
  is_gp boolean not null default false,
  is_lp boolean not null default false,
  website text check (website is null or website ~* '^https?://'),
  hq_country text check (hq_country is null or hq_country ~ '^[A-Z]{2}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint organizations_gp_or_lp check (is_gp or is_lp)
);
create index organizations_name_trgm on public.organizations using gin (name extensions.gin_trgm_ops);
create index organizations_is_lp on public.organizations (is_lp) where is_lp;

create table public.people (
  id uuid primary key default gen_random_uuid(),
  auth_user_id uuid unique references auth.users (id) on delete set null,
  full_name text not null check (length(btrim(full_name)) between 1 and 200),
  email text check (email is null or email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone text,
  is_super_admin boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index people_email_unique on public.people (lower(email)) where email is not null;

-- A person's job at an organisation. access_role is set only for GP staff who sign in:
-- viewer (read) < member (read + write) < admin (also manages users).
create table public.employment (
  id uuid primary key default gen_random_uuid(),
  person_id uuid not null references public.people (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  title text,
  is_decision_maker boolean not null default false,
  access_role text check (access_role in ('viewer', 'member', 'admin')),
  is_current boolean not null default true,
  started_on date,
  ended_on date,
  created_at timestamptz not null default now(),
  constraint employment_dates check (ended_on is null or started_on is null or started_on <= ended_on),
  constraint employment_unique unique (person_id, org_id)
);
create index employment_org on public.employment (org_id);
create index employment_access on public.employment (person_id, org_id) where access_role is not null and is_current;

-- Policy helpers: SECURITY DEFINER so policies can read membership without recursing into
-- the policies of people/employment; empty search_path so nothing can be shadowed.
create function public.current_person_id() returns uuid
language sql stable security definer set search_path = ''
as $$
  select p.id from public.people p where p.auth_user_id = (select auth.uid())
$$;

create function public.is_platform_admin() returns boolean
language sql stable security definer set search_path = ''
as $$
  select coalesce((select p.is_super_admin from public.people p
                   where p.auth_user_id = (select auth.uid())), false)
$$;

create function public.user_org_ids() returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select e.org_id from public.employment e
  join public.people p on p.id = e.person_id
  where p.auth_user_id = (select auth.uid()) and e.is_current and e.access_role is not null
$$;

create function public.user_writable_org_ids() returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select e.org_id from public.employment e
  join public.people p on p.id = e.person_id
  where p.auth_user_id = (select auth.uid()) and e.is_current
    and e.access_role in ('member', 'admin')
$$;

create function public.user_admin_org_ids() returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select e.org_id from public.employment e
  join public.people p on p.id = e.person_id
  where p.auth_user_id = (select auth.uid()) and e.is_current and e.access_role = 'admin'
$$;

revoke all on function public.current_person_id(), public.is_platform_admin(),
  public.user_org_ids(), public.user_writable_org_ids(), public.user_admin_org_ids() from public;
grant execute on function public.current_person_id(), public.is_platform_admin(),
  public.user_org_ids(), public.user_writable_org_ids(), public.user_admin_org_ids()
  to authenticated, service_role;

alter table public.organizations enable row level security;
alter table public.people enable row level security;
alter table public.employment enable row level security;
revoke all on public.organizations, public.people, public.employment from anon, authenticated;
grant select, insert, update, delete on public.organizations, public.people, public.employment
  to authenticated;
grant all on public.organizations, public.people, public.employment to service_role;

-- Organisations: every signed-in user sees the LP market and their own organisation.
create policy organizations_select on public.organizations for select to authenticated
  using (is_lp or id in (select public.user_org_ids()) or (select public.is_platform_admin()));
create policy organizations_admin_write on public.organizations for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
create policy organizations_own_update on public.organizations for update to authenticated
  using (id in (select public.user_admin_org_ids()))
  with check (id in (select public.user_admin_org_ids()));

-- People: yourself, colleagues, LP contacts; platform admins everyone.
create policy people_select on public.people for select to authenticated
  using (
    auth_user_id = (select auth.uid())
    or (select public.is_platform_admin())
    or exists (select 1 from public.employment e
               join public.organizations o on o.id = e.org_id
               where e.person_id = people.id
                 and (o.is_lp or e.org_id in (select public.user_org_ids())))
  );
create policy people_admin_write on public.people for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
create policy people_self_update on public.people for update to authenticated
  using (auth_user_id = (select auth.uid()))
  with check (auth_user_id = (select auth.uid()) and is_super_admin = false);

create policy employment_select on public.employment for select to authenticated
  using (
    org_id in (select public.user_org_ids())
    or (select public.is_platform_admin())
    or exists (select 1 from public.organizations o where o.id = org_id and o.is_lp)
  );
create policy employment_admin_write on public.employment for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
create policy employment_org_admin_write on public.employment for all to authenticated
  using (org_id in (select public.user_admin_org_ids()))
  with check (org_id in (select public.user_admin_org_ids()));
