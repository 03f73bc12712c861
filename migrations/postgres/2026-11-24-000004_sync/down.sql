DROP INDEX reminder_plans_patient;
DROP INDEX treatments_patient_seq;
ALTER TABLE patients DROP COLUMN tombstones_pruned_seq;
DROP TABLE sync_tombstones;
