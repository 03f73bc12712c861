-- Sign codes are not split back: "pus" and "hives" were never in the old list
-- under another meaning, and the old code reads unknown codes as absent.
ALTER TABLE flags DROP COLUMN evidence_days;
ALTER TABLE flags DROP COLUMN worst_evidence;
ALTER TABLE flags DROP COLUMN opened_evidence;
