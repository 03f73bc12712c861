-- Clinical triage v2.
--
-- A flag keeps the evidence of the day it opened and of its worst day beside
-- the latest (`evidence`), and the list of days that added to it
-- (JSON array of {day, date, severity, weight}). Existing flags start with
-- their latest evidence as both; an empty list means "only the latest day".
ALTER TABLE flags ADD COLUMN opened_evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE flags ADD COLUMN worst_evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE flags ADD COLUMN evidence_days TEXT NOT NULL DEFAULT '[]';

-- The sign list changed: "pus_or_crust" and "hives_or_itching" each split in
-- two (pus / yellow crusts / pinpoint crusts; hives / itching). Both old signs
-- were urgent, so stored logs keep that meaning as "pus" and "hives".
UPDATE daily_logs
SET signs = REPLACE(REPLACE(signs, 'pus_or_crust', 'pus'), 'hives_or_itching', 'hives')
WHERE signs LIKE '%pus_or_crust%' OR signs LIKE '%hives_or_itching%';
UPDATE flags
SET evidence = REPLACE(REPLACE(evidence, '"pus_or_crust"', '"pus"'), '"hives_or_itching"', '"hives"')
WHERE evidence LIKE '%pus_or_crust%' OR evidence LIKE '%hives_or_itching%';
UPDATE flags SET opened_evidence = evidence, worst_evidence = evidence;
