-- The private Storage bucket for pitch decks (Supabase only: the embedded database has no
-- storage schema, and keeps decks in a local directory). PDFs only, 25 MB, never public; the
-- server reads and writes it with the secret key and serves nothing from it directly.
do $$
begin
  if exists (select 1 from pg_namespace where nspname = 'storage')
     and exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = 'storage' and c.relname = 'buckets') then
    insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
    values ('decks', 'decks', false, 26214400, array['application/pdf'])
    on conflict (id) do update set public = false, file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;
  end if;
end
$$;
