-- Data quality score (0-1) per LP: 80 % field completeness, 20 % recency of verification.
-- Kept current by triggers; time alone also lowers it, so the nightly batch refreshes it
-- with `update lp_profiles set updated_at = now()`.

create function public.lp_data_quality_score(p public.lp_profiles) returns numeric
language sql stable security definer set search_path = ''
as $$
  select round((0.8 * (
      (length(coalesce(p.mandate_text, '')) >= 40)::int
    + (cardinality(p.strategies) > 0)::int
    + (cardinality(p.geographies) > 0)::int
    + (cardinality(p.sectors) > 0)::int
    + (p.aum_musd is not null)::int
    + (p.check_size_min_musd is not null and p.check_size_max_musd is not null)::int
    + (p.fund_size_min_musd is not null and p.fund_size_max_musd is not null)::int
    + exists (select 1 from public.organizations o where o.id = p.org_id and o.website is not null)::int
    + exists (select 1 from public.employment e where e.org_id = p.org_id and e.is_current)::int
    + exists (select 1 from public.investments i where i.lp_org_id = p.org_id)::int
  ) / 10.0
  + 0.2 * case when p.last_verified_at is null then 0
               else greatest(0, 1 - extract(epoch from now() - p.last_verified_at) / (730 * 86400))
          end)::numeric, 3)
$$;

create function public.lp_profiles_set_quality() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  new.data_quality_score := public.lp_data_quality_score(new);
  return new;
end
$$;

create trigger lp_profiles_quality before insert or update on public.lp_profiles
  for each row execute function public.lp_profiles_set_quality();

-- Contacts, commitments and the website live in other tables: touch the LP when they change.
create function public.touch_lp_profile() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  -- tg_argv[0] names the column holding the LP's organisation id.
  update public.lp_profiles set updated_at = now()
  where org_id = (to_jsonb(coalesce(new, old)) ->> tg_argv[0])::uuid;
  return null;
end
$$;

create trigger investments_touch_lp after insert or update or delete on public.investments
  for each row execute function public.touch_lp_profile('lp_org_id');
create trigger employment_touch_lp after insert or update or delete on public.employment
  for each row execute function public.touch_lp_profile('org_id');
create trigger organizations_touch_lp after update of website on public.organizations
  for each row execute function public.touch_lp_profile('id');

revoke all on function public.lp_data_quality_score(public.lp_profiles),
  public.lp_profiles_set_quality(), public.touch_lp_profile() from public;
grant execute on function public.lp_data_quality_score(public.lp_profiles) to authenticated, service_role;
