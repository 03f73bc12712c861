DROP TABLE treatment_cancellations;
ALTER TABLE audit_log DROP COLUMN details;
ALTER TABLE patients DROP COLUMN discharged_at;
