-- A treatment's reminder plan (JSON rules), and how far ahead it has been
-- materialised into reminder_occurrences.
CREATE TABLE reminder_plans (
    treatment_id TEXT PRIMARY KEY NOT NULL REFERENCES treatments (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    plan TEXT NOT NULL,
    planned_until BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX reminder_plans_planned_until ON reminder_plans (planned_until);

-- A patient's reminder preferences (JSON: quiet hours, times, disabled kinds).
CREATE TABLE reminder_preferences (
    patient_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    prefs TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    role TEXT NOT NULL,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);
CREATE INDEX push_subscriptions_clinic ON push_subscriptions (clinic_id, role);

-- Each planned reminder, once: the identity (treatment, kind, local date,
-- local time) is unique however many processes plan at once.
CREATE TABLE reminder_occurrences (
    id TEXT PRIMARY KEY NOT NULL,
    identity TEXT NOT NULL UNIQUE,
    treatment_id TEXT NOT NULL REFERENCES treatments (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    clinic_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    day INTEGER NOT NULL,
    local_date DATE NOT NULL,
    local_time TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    stale_at BIGINT NOT NULL,
    -- pending → dispatched (push jobs created) | stale | cancelled
    status TEXT NOT NULL,
    done_at BIGINT,
    created_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX reminder_occurrences_due ON reminder_occurrences (status, due_at);
CREATE INDEX reminder_occurrences_treatment ON reminder_occurrences (treatment_id, due_at);
CREATE INDEX reminder_occurrences_patient_seq ON reminder_occurrences (patient_id, seq);

-- The durable push outbox: one row per message per subscription, claimed
-- with an expiring lease, retried with backoff.
CREATE TABLE push_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    subscription_id TEXT NOT NULL,
    occurrence_id TEXT,
    treatment_id TEXT,
    -- JSON: {"payload": {...}, "topic": "...", "urgency": "..."}
    message TEXT NOT NULL,
    stale_at BIGINT NOT NULL,
    -- pending → sent | gone | failed | stale
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    claimed_by TEXT,
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX push_jobs_ready ON push_jobs (status, next_attempt_at);
CREATE INDEX push_jobs_treatment ON push_jobs (treatment_id, created_at);
