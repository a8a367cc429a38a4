-- LP search, the "flag as outdated" queue, and LP imports.

-- Voyage's default model gets its own HNSW index (vectors of different models never mix).
create index embeddings_voyage_finance_2_hnsw on public.embeddings
  using hnsw ((embedding::extensions.vector(1024)) extensions.vector_cosine_ops)
  where model = 'voyage-finance-2';
create index embeddings_model_entity on public.embeddings (model, entity_type, entity_id);
-- Sorting the LP list by when it was last verified, and by name.
create index lp_profiles_last_verified on public.lp_profiles (last_verified_at desc nulls last);
create index organizations_name_lower on public.organizations (lower(name));

-- Signed-in users flag LP data they believe is out of date; platform admins work the queue.
create table public.lp_flags (
  id uuid primary key default gen_random_uuid(),
  lp_org_id uuid not null references public.organizations (id) on delete cascade,
  flagged_by uuid references public.people (id) on delete set null,
  reason text not null check (length(btrim(reason)) between 1 and 1000),
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  resolved_by uuid references public.people (id) on delete set null
);
create index lp_flags_open on public.lp_flags (created_at desc) where resolved_at is null;
create index lp_flags_lp on public.lp_flags (lp_org_id);
create index lp_flags_flagged_by on public.lp_flags (flagged_by);
create index lp_flags_resolved_by on public.lp_flags (resolved_by);
alter table public.lp_flags enable row level security;
revoke all on public.lp_flags from anon, authenticated;
grant select, insert, update, delete on public.lp_flags to authenticated;
grant all on public.lp_flags to service_role;
create policy lp_flags_select on public.lp_flags for select to authenticated
  using (flagged_by = (select public.current_person_id()) or (select public.is_platform_admin()));
create policy lp_flags_insert_own on public.lp_flags for insert to authenticated
  with check (flagged_by = (select public.current_person_id()) and resolved_at is null
              and exists (select 1 from public.lp_profiles p where p.org_id = lp_org_id));
create policy lp_flags_admin_write on public.lp_flags for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));

-- An uploaded LP file, its column mapping, and what importing it did.
create table public.lp_imports (
  id uuid primary key default gen_random_uuid(),
  filename text not null check (length(filename) between 1 and 255),
  file_sha256 text not null check (file_sha256 ~ '^[0-9a-f]{64}$'),
  storage_path text not null,
  encoding text not null check (encoding in ('utf-8', 'latin-1')),
  delimiter text not null check (delimiter in (',', ';')),
  row_count integer not null check (row_count between 0 and 10000),
  mapping jsonb not null default '{}'::jsonb check (jsonb_typeof(mapping) = 'object'),
  status text not null default 'uploaded'
    check (status in ('uploaded', 'importing', 'completed', 'failed')),
  processed integer not null default 0 check (processed >= 0),
  inserted integer not null default 0 check (inserted >= 0),
  updated integer not null default 0 check (updated >= 0),
  skipped integer not null default 0 check (skipped >= 0),
  failed integer not null default 0 check (failed >= 0),
  report jsonb not null default '[]'::jsonb check (jsonb_typeof(report) = 'array'),
  created_by uuid references public.people (id) on delete set null,
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create index lp_imports_created on public.lp_imports (created_at desc);
create index lp_imports_created_by on public.lp_imports (created_by);
alter table public.lp_imports enable row level security;
revoke all on public.lp_imports from anon, authenticated;
grant select, insert, update, delete on public.lp_imports to authenticated;
grant all on public.lp_imports to service_role;
create policy lp_imports_platform_admin on public.lp_imports for all to authenticated
  using ((select public.is_platform_admin())) with check ((select public.is_platform_admin()));
