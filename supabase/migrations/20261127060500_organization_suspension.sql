-- Suspending a GP organisation (issue 9, platform console): while `suspended_at` is set its
-- members keep their rows but lose access. The membership functions every policy uses skip a
-- suspended organisation, so row-level security itself shuts its data, not only the app.
alter table public.organizations add column suspended_at timestamptz;

create or replace function public.user_org_ids() returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select e.org_id from public.employment e
  join public.people p on p.id = e.person_id
  join public.organizations o on o.id = e.org_id
  where p.auth_user_id = (select auth.uid()) and e.is_current and e.access_role is not null
    and o.suspended_at is null
$$;

create or replace function public.user_writable_org_ids() returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select e.org_id from public.employment e
  join public.people p on p.id = e.person_id
  join public.organizations o on o.id = e.org_id
  where p.auth_user_id = (select auth.uid()) and e.is_current
    and e.access_role in ('member', 'admin') and o.suspended_at is null
$$;

create or replace function public.user_admin_org_ids() returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select e.org_id from public.employment e
  join public.people p on p.id = e.person_id
  join public.organizations o on o.id = e.org_id
  where p.auth_user_id = (select auth.uid()) and e.is_current and e.access_role = 'admin'
    and o.suspended_at is null
$$;

-- Suspending signs every member out, with its own reason.
alter table public.session_revocations drop constraint session_revocations_reason_check;
alter table public.session_revocations add constraint session_revocations_reason_check
  check (reason in ('sign_out', 'deactivated', 'password_changed', 'organisation_suspended'));
