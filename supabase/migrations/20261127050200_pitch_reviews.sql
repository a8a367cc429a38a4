-- What the critic said about each generated draft (score, notes, verdict, drafts tried), kept
-- with the version so a GP sees why a draft was approved, and the retrain can learn from edits.
alter table public.pitch_versions add column review jsonb
  check (review is null or jsonb_typeof(review) = 'object');
