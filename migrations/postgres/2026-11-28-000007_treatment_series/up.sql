-- Issue 19 part B: risk factors, the product applied, and the series of
-- sessions a treatment belongs to.
-- risk_factors: comma-separated codes (like addons), '' for none.
ALTER TABLE treatments ADD COLUMN risk_factors TEXT NOT NULL DEFAULT '';
-- The serum or product applied in the clinic, free text (bounded by the app).
ALTER TABLE treatments ADD COLUMN products TEXT;
-- The session this one follows (same patient); no foreign key so that
-- erasing a patient deletes their treatments in any order.
ALTER TABLE treatments ADD COLUMN previous_treatment_id TEXT;

-- A treatment registered despite contraindications: why, and which. Staff
-- only, never synced to the patient; the audit log records that it happened.
CREATE TABLE treatment_overrides (
    treatment_id TEXT PRIMARY KEY NOT NULL REFERENCES treatments (id) ON DELETE CASCADE,
    contraindications TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- Existing treatments now carry new columns and a timeline and care to the
-- last check-in: stamp them with a fresh change number of their patient so
-- every device pulls them again whole (a pull sends rows numbered after its
-- cursor; the counter only grows).
UPDATE patients SET change_seq = change_seq + 1
    WHERE account_id IN (SELECT patient_id FROM treatments);
UPDATE treatments SET seq = (
    SELECT p.change_seq FROM patients AS p WHERE p.account_id = treatments.patient_id
);
