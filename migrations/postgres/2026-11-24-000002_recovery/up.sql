-- Healing-course protocols are data: versioned JSON definitions. Defaults have
-- clinic_id NULL; a clinic may add its own versions.
CREATE TABLE protocols (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT REFERENCES clinics (id),
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Per-patient change counter for sync: every write to a patient's synced rows
-- bumps it inside the writing transaction and stamps the row with it.
ALTER TABLE patients ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE treatments (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    protocol_id TEXT NOT NULL REFERENCES protocols (id),
    performed_at BIGINT NOT NULL,
    -- The treatment's local date in the patient's zone when it was registered.
    day0 DATE NOT NULL,
    area TEXT NOT NULL,
    depth_mm DOUBLE PRECISION NOT NULL,
    addons TEXT NOT NULL,
    session_number INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX treatments_patient ON treatments (patient_id, performed_at);
CREATE INDEX treatments_day0 ON treatments (day0);
CREATE INDEX treatments_clinic ON treatments (clinic_id);

CREATE TABLE daily_logs (
    id TEXT PRIMARY KEY NOT NULL,
    treatment_id TEXT NOT NULL REFERENCES treatments (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    log_date DATE NOT NULL,
    day INTEGER NOT NULL,
    redness INTEGER NOT NULL CHECK (redness BETWEEN 0 AND 10),
    swelling INTEGER NOT NULL CHECK (swelling BETWEEN 0 AND 10),
    flaking INTEGER NOT NULL CHECK (flaking BETWEEN 0 AND 10),
    sensitivity INTEGER NOT NULL CHECK (sensitivity BETWEEN 0 AND 10),
    -- Comma-separated warning-sign codes.
    signs TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0,
    created_seq BIGINT NOT NULL DEFAULT 0,
    UNIQUE (treatment_id, log_date)
);
CREATE INDEX daily_logs_patient_seq ON daily_logs (patient_id, seq);

CREATE TABLE flags (
    id TEXT PRIMARY KEY NOT NULL,
    treatment_id TEXT NOT NULL REFERENCES treatments (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    reason TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('urgent', 'review', 'routine')),
    severity_rank INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    -- JSON: the scores, expectations and day that raised it (latest evidence).
    evidence TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0
);
-- One active flag per reason per treatment; later evidence updates it.
CREATE UNIQUE INDEX flags_one_active ON flags (treatment_id, reason) WHERE status <> 'resolved';
CREATE INDEX flags_queue ON flags (clinic_id, status, severity_rank, opened_at);
CREATE INDEX flags_patient_seq ON flags (patient_id, seq);

-- A flag's history: acknowledgements, resolutions and clinician notes.
CREATE TABLE flag_events (
    id TEXT PRIMARY KEY NOT NULL,
    flag_id TEXT NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX flag_events_flag ON flag_events (flag_id, at);
