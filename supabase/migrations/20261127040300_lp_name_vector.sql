-- Keyword results rank LPs whose name holds the query words first. Testing that with a regex on
-- the name cost ~3 µs a row (45 ms for "pension", which matches a fifth of 100k LPs); a stored
-- vector of the name's words answers the same question with one tsquery match.
alter table public.lp_profiles
  add column name_vector tsvector
    generated always as (to_tsvector('simple', coalesce(lp_name, ''))) stored;

-- Counting the LPs a meaning-based search can rank joins the active LPs' keys with the vectors'
-- keys: both from an index alone, not from the wide profile rows.
create index lp_profiles_active_keys on public.lp_profiles (org_id) where is_active;
