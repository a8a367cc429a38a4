-- What sign-in needs from the database whichever identity provider runs: a per-account failure
-- counter (lockout), session revocation (logout, deactivation), the outbox of messages, and the
-- invitation steps an anonymous invitee may take. Anonymous callers reach these only through
-- the SECURITY DEFINER functions below, each doing exactly one checked thing.

-- Failed sign-ins per account (keyed on the lower-cased email, whether or not it exists).
create table public.sign_in_guards (
  email_key text primary key,
  failures smallint not null default 0 check (failures between 0 and 1000),
  last_failed_at timestamptz,
  locked_until timestamptz
);
alter table public.sign_in_guards enable row level security;
revoke all on public.sign_in_guards from anon, authenticated;
grant select on public.sign_in_guards to authenticated;
grant all on public.sign_in_guards to service_role;
create policy sign_in_guards_platform_admin on public.sign_in_guards for select to authenticated
  using ((select public.is_platform_admin()));

-- A row with session_id revokes that session; without, every token the user held before
-- revoked_at (deactivation, password change) except keep_session_id (the session that changed
-- the password).
create table public.session_revocations (
  id bigint generated always as identity primary key,
  user_id uuid not null,
  session_id uuid,
  keep_session_id uuid,
  reason text not null check (reason in ('sign_out', 'deactivated', 'password_changed')),
  revoked_at timestamptz not null default now()
);
create index session_revocations_user on public.session_revocations (user_id, revoked_at);
alter table public.session_revocations enable row level security;
revoke all on public.session_revocations from anon, authenticated;
grant select on public.session_revocations to authenticated;
grant all on public.session_revocations to service_role;
create policy session_revocations_own on public.session_revocations for select to authenticated
  using (user_id = (select auth.uid()) or (select public.is_platform_admin()));

-- Messages the app sends (invitations, password resets). Delivery is a separate concern; in
-- development the outbox and the log are where a developer reads them.
create table public.outbox (
  id uuid primary key default gen_random_uuid(),
  to_email text not null check (to_email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  kind text not null check (kind in ('invitation', 'password_reset')),
  subject text not null,
  body text not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index outbox_created on public.outbox (created_at desc);
alter table public.outbox enable row level security;
revoke all on public.outbox from anon, authenticated;
grant select on public.outbox to authenticated;
grant all on public.outbox to service_role;
create policy outbox_platform_admin on public.outbox for select to authenticated
  using ((select public.is_platform_admin()));

-- Is the account locked at p_now? (The app passes its clock so tests can move time.)
create function public.sign_in_locked_until(p_email text, p_now timestamptz) returns timestamptz
language sql stable security definer set search_path = ''
as $$
  select g.locked_until from public.sign_in_guards g
  where g.email_key = lower(btrim(p_email)) and g.locked_until > p_now
$$;

-- Record one attempt: success clears the counter; the fifth failure in a row locks the
-- account for 30 minutes. Writes the audit row either way. Returns the lock's end, if any.
create function public.record_sign_in(
  p_email text, p_user_id uuid, p_success boolean, p_ip inet, p_now timestamptz
) returns timestamptz
language plpgsql security definer set search_path = ''
as $$
declare
  v_key text := lower(btrim(p_email));
  v_locked timestamptz;
begin
  if p_success then
    delete from public.sign_in_guards where email_key = v_key;
  else
    insert into public.sign_in_guards as g (email_key, failures, last_failed_at)
    values (v_key, 1, p_now)
    on conflict (email_key) do update
      set failures = case when g.locked_until is not null and g.locked_until <= p_now then 1
                          else g.failures + 1 end,
          locked_until = case when g.locked_until is not null and g.locked_until <= p_now then null
                              else g.locked_until end,
          last_failed_at = p_now;
    update public.sign_in_guards set locked_until = p_now + interval '30 minutes', failures = 0
    where email_key = v_key and failures >= 5
    returning locked_until into v_locked;
  end if;
  insert into public.audit_log (actor_user_id, action, entity_type, entity_id, details, ip, created_at)
  values (p_user_id, case when p_success then 'auth.sign_in' else 'auth.sign_in_failed' end,
          'account', v_key,
          case when v_locked is null then '{}'::jsonb else jsonb_build_object('locked_until', v_locked) end,
          p_ip, p_now);
  return v_locked;
end
$$;

-- Sign the caller's own session out (their token's session_id).
create function public.revoke_own_session(p_session_id uuid) returns void
language sql security definer set search_path = ''
as $$
  insert into public.session_revocations (user_id, session_id, reason)
  select (select auth.uid()), p_session_id, 'sign_out' where (select auth.uid()) is not null
$$;

-- End every session of a user but p_keep: themselves (password change), their org's admin or a
-- platform admin (deactivation). Returns whether the caller was allowed.
create function public.revoke_user_sessions(p_user_id uuid, p_reason text, p_keep uuid)
returns boolean
language plpgsql security definer set search_path = ''
as $$
begin
  if not (p_user_id = (select auth.uid())
          or (select public.is_platform_admin())
          or exists (select 1 from public.employment e join public.people p on p.id = e.person_id
                     where p.auth_user_id = p_user_id
                       and e.org_id in (select public.user_admin_org_ids()))) then
    return false;
  end if;
  insert into public.session_revocations (user_id, keep_session_id, reason)
  values (p_user_id, p_keep, p_reason);
  return true;
end
$$;

-- Is this token still good: not signed out, not issued before a user-wide revocation?
create function public.session_is_active(p_session_id uuid, p_issued_at timestamptz) returns boolean
language sql stable security definer set search_path = ''
as $$
  select not exists (
    select 1 from public.session_revocations r
    where r.user_id = (select auth.uid())
      and ((r.session_id is not null and r.session_id = p_session_id)
           or (r.session_id is null and r.revoked_at >= p_issued_at
               and r.keep_session_id is distinct from p_session_id)))
$$;

-- Does an account already exist for this email? (Org admins may not invite existing users.)
create function public.email_has_account(p_email text) returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (select 1 from auth.users u where lower(u.email) = lower(btrim(p_email)))
      or exists (select 1 from public.people p
                 where lower(p.email) = lower(btrim(p_email)) and p.auth_user_id is not null)
$$;

-- What an invitee may see of their invitation, by the hash of the token in their link.
create function public.invitation_by_token(p_token_hash text)
returns table (id uuid, org_id uuid, org_name text, email text, access_role text,
               expires_at timestamptz, accepted_at timestamptz, revoked_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select i.id, i.org_id, o.name, i.email, i.access_role, i.expires_at, i.accepted_at, i.revoked_at
  from public.invitations i join public.organizations o on o.id = i.org_id
  where i.token_hash = p_token_hash
$$;

-- Accept: the identity provider has created p_user_id for the invited email; make them a
-- person employed by the organisation with the invited role. Errors are stable messages.
create function public.accept_invitation(
  p_token_hash text, p_user_id uuid, p_full_name text, p_now timestamptz
) returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_inv public.invitations%rowtype;
  v_person uuid;
begin
  select * into v_inv from public.invitations where token_hash = p_token_hash for update;
  if not found or v_inv.revoked_at is not null then
    raise exception 'invitation_not_found' using errcode = 'P0002';
  elsif v_inv.accepted_at is not null then
    raise exception 'invitation_used' using errcode = 'P0001';
  elsif v_inv.expires_at <= p_now then
    raise exception 'invitation_expired' using errcode = 'P0001';
  elsif not exists (select 1 from auth.users u
                    where u.id = p_user_id and lower(u.email) = lower(v_inv.email)) then
    raise exception 'invitation_wrong_user' using errcode = 'P0001';
  end if;
  select p.id into v_person from public.people p
  where lower(p.email) = lower(v_inv.email) and p.auth_user_id is null
  limit 1;
  if v_person is null then
    insert into public.people (auth_user_id, full_name, email)
    values (p_user_id, p_full_name, lower(v_inv.email)) returning id into v_person;
  else
    update public.people set auth_user_id = p_user_id, full_name = p_full_name, updated_at = p_now
    where id = v_person;
  end if;
  insert into public.employment (person_id, org_id, access_role, is_current, started_on)
  values (v_person, v_inv.org_id, v_inv.access_role, true, p_now::date)
  on conflict (person_id, org_id) do update
    set access_role = excluded.access_role, is_current = true, ended_on = null;
  update public.invitations set accepted_at = p_now where id = v_inv.id;
  insert into public.audit_log (org_id, actor_user_id, action, entity_type, entity_id, details, created_at)
  values (v_inv.org_id, p_user_id, 'invitation.accepted', 'invitation', v_inv.id::text,
          jsonb_build_object('access_role', v_inv.access_role), p_now);
  return v_inv.org_id;
end
$$;

-- Queue an invitation email; only for an invitation the caller may manage.
create function public.queue_invitation_email(
  p_invitation_id uuid, p_subject text, p_body text
) returns void
language plpgsql security definer set search_path = ''
as $$
declare
  v_email text;
begin
  select i.email into v_email from public.invitations i
  where i.id = p_invitation_id
    and (i.org_id in (select public.user_admin_org_ids()) or (select public.is_platform_admin()));
  if v_email is null then
    raise exception 'invitation_not_found' using errcode = 'P0002';
  end if;
  insert into public.outbox (to_email, kind, subject, body) values (v_email, 'invitation', p_subject, p_body);
end
$$;

revoke all on function public.sign_in_locked_until(text, timestamptz),
  public.record_sign_in(text, uuid, boolean, inet, timestamptz),
  public.revoke_own_session(uuid), public.revoke_user_sessions(uuid, text, uuid),
  public.session_is_active(uuid, timestamptz), public.email_has_account(text),
  public.invitation_by_token(text), public.accept_invitation(text, uuid, text, timestamptz),
  public.queue_invitation_email(uuid, text, text) from public;
grant execute on function public.sign_in_locked_until(text, timestamptz),
  public.record_sign_in(text, uuid, boolean, inet, timestamptz),
  public.invitation_by_token(text), public.accept_invitation(text, uuid, text, timestamptz)
  to anon, authenticated, service_role;
grant execute on function public.revoke_own_session(uuid), public.revoke_user_sessions(uuid, text, uuid),
  public.session_is_active(uuid, timestamptz), public.email_has_account(text),
  public.queue_invitation_email(uuid, text, text)
  to authenticated, service_role;
