DROP TABLE treatment_overrides;
ALTER TABLE treatments DROP COLUMN previous_treatment_id;
ALTER TABLE treatments DROP COLUMN products;
ALTER TABLE treatments DROP COLUMN risk_factors;
