-- An index behind every foreign key (cascades and "set null" on delete scan the child table
-- otherwise, and the pages join along them), and full-text search on organisation names.

create index funds_created_by on public.funds (created_by);
create index scoring_weights_created_by on public.scoring_weights (created_by);
create index fund_lp_matches_weights_version on public.fund_lp_matches (weights_version);
create index fund_lp_status_lp on public.fund_lp_status (lp_org_id);
create index fund_lp_status_updated_by on public.fund_lp_status (updated_by);
create index match_feedback_person on public.match_feedback (person_id);
create index match_outcomes_lp on public.match_outcomes (lp_org_id);
create index match_outcomes_recorded_by on public.match_outcomes (recorded_by);
create index pitches_created_by on public.pitches (created_by);
create index pitch_versions_created_by on public.pitch_versions (created_by);
create index agent_debates_lp on public.agent_debates (lp_org_id);
create index agent_escalations_debate on public.agent_escalations (debate_id);
create index agent_escalations_org on public.agent_escalations (org_id);
create index agent_escalations_assigned_to on public.agent_escalations (assigned_to);
create index llm_calls_org on public.llm_calls (org_id);
create index llm_calls_debate on public.llm_calls (debate_id);
create index llm_calls_batch_run on public.llm_calls (batch_run_id);
create index invitations_org on public.invitations (org_id);
create index invitations_invited_by on public.invitations (invited_by);

create index organizations_name_fts on public.organizations using gin (to_tsvector('simple', name));
