-- Photos of the skin, attached to a patient's daily log (treatment, date).
-- The image itself is in the media store (a local folder or S3-compatible
-- storage) under `object_key`; the row is written after the object, and a
-- sweep removes objects that have no row. The id is the app's own (a sync
-- id), so a retried upload finds the photo it already made.
CREATE TABLE log_photos (
    id TEXT PRIMARY KEY NOT NULL,
    treatment_id TEXT NOT NULL REFERENCES treatments (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    log_date DATE NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
CREATE INDEX log_photos_log ON log_photos (treatment_id, log_date);
CREATE INDEX log_photos_patient_seq ON log_photos (patient_id, seq);
