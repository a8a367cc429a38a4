-- LP profiles are market data every signed-in user may read (policy lp_profiles_select is
-- `true`). Under row-level security, though, the planner will not look at a column's statistics
-- through an operator that is not leakproof (@@, &&, numeric comparisons), so every search
-- filter was estimated at a default selectivity: a broad keyword AND-ed with an AUM range was
-- planned as a one-row index walk over 23k rows (65 ms instead of 10). Search reads the same
-- rows through this view, which runs as its owner, so the planner sees the statistics. Writes
-- still go to the table, under its policies. The schema is not one the Data API exposes.
create schema market;
revoke all on schema market from public;
grant usage on schema market to authenticated, service_role;

create view market.lp_profiles as select * from public.lp_profiles;
revoke all on market.lp_profiles from public;
grant select on market.lp_profiles to authenticated, service_role;

-- The LP mandate vectors are market data too (policy embeddings_select lets every member read
-- rows without an org_id, which the constraint makes every lp_mandate row, and only those). Through the view, counting the LPs a
-- meaning-based search can rank reads the (entity_type, entity_id, model) index alone instead
-- of every vector row under the policy's per-row test.
alter table public.embeddings add constraint embeddings_market_rows
  check ((entity_type = 'lp_mandate') = (org_id is null));
create view market.lp_mandate_vectors as
  select entity_id as org_id, model, dims, embedding
  from public.embeddings
  where entity_type = 'lp_mandate';
revoke all on market.lp_mandate_vectors from public;
grant select on market.lp_mandate_vectors to authenticated, service_role;
