-- A discharged patient's recovery is over: no reminders are planned, flags
-- stay readable, the app learns it through its synced treatment rows.
ALTER TABLE patients ADD COLUMN discharged_at BIGINT;
-- Old and new values of a correction (JSON), beside the action it records.
ALTER TABLE audit_log ADD COLUMN details TEXT;

-- A treatment registered by mistake: kept for the audit trail, but it has no
-- reminders, no flags and takes no logs. A side table because `treatments`
-- is at diesel's 16-column limit.
CREATE TABLE treatment_cancellations (
    treatment_id TEXT PRIMARY KEY NOT NULL REFERENCES treatments (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
