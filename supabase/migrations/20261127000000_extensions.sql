-- Extensions the data model relies on, in Supabase's `extensions` schema.
create extension if not exists vector with schema extensions;
create extension if not exists pg_trgm with schema extensions;
