-- The first active weights (PRODUCT.md, "Matching"): a platform admin edits them later as new
-- versions, and the monthly retrain proposes new blend versions. Each set sums to 100.
insert into public.scoring_weights (kind, weights, is_active, notes) values
  ('rule', '{"sector": 20, "size": 20, "track_record": 20, "esg": 10, "semantic": 30}', true,
   'Initial rule-score factor weights'),
  ('blend', '{"rule": 25, "semantic": 25, "debate": 35, "collaborative": 15}', true,
   'Initial blend of the final score');
