-- An organisation that has an admin always keeps one: the last current admin cannot be
-- demoted, deactivated, moved or removed. Deleting the organisation itself still cascades.

create function public.employment_keep_last_admin() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if old.access_role is distinct from 'admin' or not old.is_current then
    return null;
  end if;
  if tg_op = 'UPDATE' and new.access_role = 'admin' and new.is_current and new.org_id = old.org_id then
    return null;
  end if;
  if not exists (select 1 from public.organizations o where o.id = old.org_id) then
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

revoke all on function public.employment_keep_last_admin() from public;

create trigger employment_keep_last_admin after update or delete on public.employment
  for each row execute function public.employment_keep_last_admin();
