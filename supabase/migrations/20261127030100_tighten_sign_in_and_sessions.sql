-- Fixes from the security review of sign-in (earlier migrations stay as they landed):
-- 1. The last-admin rule serialises concurrent changes per organisation (two admins demoting
--    each other at once both saw the other as admin).
-- 2. Sign-in attempts are reserved before the password is checked, so parallel guesses cannot
--    outrun the five-failure lock; the counter functions are for the service path only.
-- 3. Invitations are accepted at the database's own time; stale invitations of any
--    organisation can be expired by whoever is about to invite the same address.

create or replace function public.employment_keep_last_admin() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if old.access_role is distinct from 'admin' or not old.is_current then
    return null;
  end if;
  if tg_op = 'UPDATE' and new.access_role = 'admin' and new.is_current and new.org_id = old.org_id then
    return null;
  end if;
  -- Lock the organisation: a concurrent change of its admins waits for this one to finish.
  perform 1 from public.organizations o where o.id = old.org_id for update;
  if not found then
    return null;  -- the organisation is being deleted
  end if;
  if not exists (select 1 from public.employment e
                 where e.org_id = old.org_id and e.access_role = 'admin' and e.is_current) then
    raise exception 'an organisation must keep at least one admin'
      using errcode = 'check_violation', constraint = 'employment_last_admin',
            table = 'employment', schema = 'public';
  end if;
  return null;
end
$$;

drop function public.sign_in_locked_until(text, timestamptz);
drop function public.record_sign_in(text, uuid, boolean, inet, timestamptz);

-- Count an attempt before checking the password: returns null when it may go ahead, or the
-- end of the lock (the refusal is audited). The fifth attempt in a row locks the account;
-- a success (record_sign_in) clears the counter.
create function public.reserve_sign_in(p_email text, p_ip inet, p_now timestamptz) returns timestamptz
language plpgsql security definer set search_path = ''
as $$
declare
  v_key text := lower(btrim(p_email));
  v_guard public.sign_in_guards%rowtype;
begin
  insert into public.sign_in_guards (email_key, failures) values (v_key, 0)
  on conflict (email_key) do nothing;
  select * into v_guard from public.sign_in_guards where email_key = v_key for update;
  if v_guard.locked_until is not null and v_guard.locked_until > p_now then
    insert into public.audit_log (action, entity_type, entity_id, details, ip, created_at)
    values ('auth.sign_in_refused', 'account', v_key,
            jsonb_build_object('locked_until', v_guard.locked_until), p_ip, p_now);
    return v_guard.locked_until;
  end if;
  update public.sign_in_guards
  set failures = case when v_guard.locked_until is not null then 1 else failures + 1 end,
      locked_until = case when (case when v_guard.locked_until is not null then 1
                                     else failures + 1 end) >= 5
                          then p_now + interval '30 minutes' end,
      last_failed_at = p_now
  where email_key = v_key;
  return null;
end
$$;

-- The outcome of a reserved attempt: success clears the counter; both are audited.
create function public.record_sign_in(
  p_email text, p_user_id uuid, p_success boolean, p_ip inet, p_now timestamptz
) returns void
language plpgsql security definer set search_path = ''
as $$
declare
  v_key text := lower(btrim(p_email));
begin
  if p_success then
    delete from public.sign_in_guards where email_key = v_key;
  end if;
  insert into public.audit_log (actor_user_id, action, entity_type, entity_id, details, ip, created_at)
  select p_user_id, case when p_success then 'auth.sign_in' else 'auth.sign_in_failed' end,
         'account', v_key,
         case when g.locked_until is null then '{}'::jsonb
              else jsonb_build_object('locked_until', g.locked_until) end,
         p_ip, p_now
  from (select 1) one
  left join public.sign_in_guards g on g.email_key = v_key;
end
$$;

revoke all on function public.reserve_sign_in(text, inet, timestamptz),
  public.record_sign_in(text, uuid, boolean, inet, timestamptz) from public, anon, authenticated;
grant execute on function public.reserve_sign_in(text, inet, timestamptz),
  public.record_sign_in(text, uuid, boolean, inet, timestamptz) to service_role;

drop function public.accept_invitation(text, uuid, text, timestamptz);

create function public.accept_invitation(p_token_hash text, p_user_id uuid, p_full_name text)
returns uuid
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
  elsif v_inv.expires_at <= now() then
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
    update public.people set auth_user_id = p_user_id, full_name = p_full_name, updated_at = now()
    where id = v_person;
  end if;
  insert into public.employment (person_id, org_id, access_role, is_current, started_on)
  values (v_person, v_inv.org_id, v_inv.access_role, true, current_date)
  on conflict (person_id, org_id) do update
    set access_role = excluded.access_role, is_current = true, ended_on = null;
  update public.invitations set accepted_at = now() where id = v_inv.id;
  insert into public.audit_log (org_id, actor_user_id, action, entity_type, entity_id, details)
  values (v_inv.org_id, p_user_id, 'invitation.accepted', 'invitation', v_inv.id::text,
          jsonb_build_object('access_role', v_inv.access_role));
  return v_inv.org_id;
end
$$;

-- Before inviting an address, withdraw its expired invitations wherever they are (they can no
-- longer be used, but still hold the one-open-invitation slot). Org and platform admins only.
create function public.expire_stale_invitations(p_email text) returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if not (exists (select public.user_admin_org_ids()) or (select public.is_platform_admin())) then
    return;
  end if;
  update public.invitations set revoked_at = now()
  where lower(email) = lower(btrim(p_email)) and accepted_at is null and revoked_at is null
    and expires_at <= now();
end
$$;

revoke all on function public.accept_invitation(text, uuid, text),
  public.expire_stale_invitations(text) from public;
grant execute on function public.accept_invitation(text, uuid, text) to anon, authenticated, service_role;
grant execute on function public.expire_stale_invitations(text) to authenticated, service_role;

-- On Supabase the app's login role is created by hand (README, "Deploying"); give it the same
-- role switches the local shim gives it, once it exists.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'lpxgp_app') then
    grant anon, authenticated, service_role to lpxgp_app;
  end if;
end
$$;

-- The app passes the time the session signed in (the token's `amr` timestamp, which refreshes
-- keep) rather than the token's `iat`: a refresh must not revive a revoked session.
comment on function public.session_is_active(uuid, timestamptz) is
  'True unless the session was signed out, or signed in before a user-wide revocation (other than the kept session). Second argument: when the session signed in.';
