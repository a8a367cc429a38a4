-- What Supabase provides and plain PostgreSQL lacks, so that supabase/migrations/*.sql run
-- unchanged on the embedded database. Applied by src/db/migrate.py before the migrations on any
-- database that is not Supabase; never pushed to Supabase. Idempotent: safe to run every time.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  -- The web app's login role: owns nothing and has no grants of its own, so a request that
  -- forgets to switch to `authenticated` (or the batch path to `service_role`) fails closed.
  if not exists (select 1 from pg_roles where rolname = 'lpxgp_app') then
    create role lpxgp_app login noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to lpxgp_app;
grant anon, authenticated, service_role to current_user;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  id uuid primary key default gen_random_uuid(),
  aud text default 'authenticated',
  role text default 'authenticated',
  email text unique,
  encrypted_password text,
  email_confirmed_at timestamptz,
  raw_app_meta_data jsonb not null default '{}'::jsonb,
  raw_user_meta_data jsonb not null default '{}'::jsonb,
  is_super_admin boolean,
  banned_until timestamptz,
  last_sign_in_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);

-- Same behaviour as Supabase's helpers: read the claims the request set for its transaction.
-- nullif(..., '') matters: once a transaction-local setting is reverted it reads as ''.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select nullif(coalesce(
    current_setting('request.jwt.claim.sub', true),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  ), '')::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select nullif(coalesce(
    current_setting('request.jwt.claim.role', true),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  ), '')::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select nullif(coalesce(
    current_setting('request.jwt.claim.email', true),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  ), '')::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;

-- Supabase puts `extensions` on every role's search path.
do $$
begin
  execute format('alter database %I set search_path to "$user", public, extensions',
                 current_database());
end
$$;

-- The local identity provider (src/auth/local.py) stands in for Supabase Auth (GoTrue): it keeps
-- sessions, rotated refresh tokens and one-time tokens here, and reaches them only through the
-- service path (`service_role`). Supabase has tables of the same names with other columns; this
-- file never runs there.
create table if not exists auth.local_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create table if not exists auth.local_refresh_tokens (
  token_hash text primary key,
  session_id uuid not null references auth.local_sessions (id) on delete cascade,
  parent_hash text,
  created_at timestamptz not null default now(),
  rotated_at timestamptz
);
create index if not exists local_refresh_tokens_session on auth.local_refresh_tokens (session_id);
create table if not exists auth.local_one_time_tokens (
  token_hash text primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null check (kind in ('recovery')),
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
grant select, insert, update, delete on auth.users, auth.local_sessions,
  auth.local_refresh_tokens, auth.local_one_time_tokens to service_role;
