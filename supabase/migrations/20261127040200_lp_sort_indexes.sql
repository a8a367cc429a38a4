-- Sorted LP lists walk an index in the requested order and stop after a page, instead of
-- sorting every match: by name, by AUM (largest first, unknown last), by the default order.
create index lp_profiles_name_order on public.lp_profiles (lower(lp_name), org_id);
create index lp_profiles_aum_order on public.lp_profiles (aum_musd desc nulls last, lp_name);
create index lp_profiles_default_order on public.lp_profiles
  (data_quality_score desc, aum_musd desc nulls last, lp_name);
