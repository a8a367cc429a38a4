-- Alerts as incidents (issue 9): an alert names the incident it belongs to (its kind, plus a
-- key when several can be open at once, e.g. one per failed run). While an incident is open a
-- second alert for it is not raised; when its condition clears it is resolved. `sent_at` is
-- set once Slack accepted it (unsent ones are retried).
alter table public.alerts
  add column incident text,
  add column resolved_at timestamptz;
update public.alerts set incident = kind || ':' || id where incident is null;
alter table public.alerts alter column incident set not null;
alter table public.alerts add constraint alerts_incident_format
  check (incident ~ '^[a-z_]+(:.+)?$');
create unique index alerts_one_open_incident on public.alerts (incident) where resolved_at is null;
create index alerts_unsent on public.alerts (created_at) where sent_at is null;

-- Existing writers (the LLM budget alert, batch runs) insert without an incident: default it.
create function public.alerts_default_incident() returns trigger
language plpgsql set search_path = ''
as $$
begin
  if new.incident is null then
    new.incident := new.kind || ':' || new.id;
  end if;
  return new;
end
$$;
create trigger alerts_default_incident before insert on public.alerts
  for each row execute function public.alerts_default_incident();
