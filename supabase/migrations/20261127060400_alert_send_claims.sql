-- Alert delivery claims (issue 9): a sender claims unsent alerts in a short transaction, posts
-- them to Slack with no transaction open, then marks each sent. A claim older than two minutes
-- (its sender died) lapses and the alert is claimed again: delivery is at least once.
alter table public.alerts add column send_claimed_at timestamptz;
