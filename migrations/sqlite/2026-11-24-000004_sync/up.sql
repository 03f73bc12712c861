-- Deleted synced records, so devices learn of deletions on their next pull.
-- Kept for a while (see README); a device that last pulled before the
-- oldest kept tombstone of its patient is told to resync from scratch.
CREATE TABLE sync_tombstones (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL
);
CREATE INDEX sync_tombstones_patient_seq ON sync_tombstones (patient_id, seq);
CREATE INDEX sync_tombstones_deleted_at ON sync_tombstones (deleted_at);

-- Highest change number whose tombstones were pruned, per patient.
ALTER TABLE patients ADD COLUMN tombstones_pruned_seq BIGINT NOT NULL DEFAULT 0;

CREATE INDEX treatments_patient_seq ON treatments (patient_id, seq);
CREATE INDEX reminder_plans_patient ON reminder_plans (patient_id, seq);
