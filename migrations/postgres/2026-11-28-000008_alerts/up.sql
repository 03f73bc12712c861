-- Clinic settings other parts read: the clinic's zone and emergency number,
-- and who gets alerts (addresses as a JSON array, lowest alerting severity).
ALTER TABLE clinics ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE clinics ADD COLUMN emergency_number TEXT NOT NULL DEFAULT '112';
ALTER TABLE clinics ADD COLUMN alert_emails TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clinics ADD COLUMN alert_min_severity TEXT NOT NULL DEFAULT 'urgent';

-- Each staff member's own alert channels.
ALTER TABLE accounts ADD COLUMN alert_push BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE accounts ADD COLUMN alert_email BOOLEAN NOT NULL DEFAULT FALSE;

-- A clinic's webhooks. The secret signs deliveries, so it is kept as is
-- (shown once to the admin, never logged). Deleting keeps the row (deleted_at)
-- so the alert history still names it.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX webhooks_clinic ON webhooks (clinic_id);

-- The durable outbox of e-mail and webhook alerts: one row per event per
-- recipient, leased, retried with backoff; the row is the record of its
-- attempts. The id is the dedupe key (flag, event, channel, recipient), so
-- an event is enqueued once. (Staff Web Push alerts stay in push_jobs.)
CREATE TABLE alert_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    flag_id TEXT NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    -- flag.opened | flag.reopened | flag.escalated | flag.resolved
    event TEXT NOT NULL,
    -- email | webhook
    channel TEXT NOT NULL,
    -- clinic_inbox | staff | admin | webhook
    recipient_kind TEXT NOT NULL,
    -- an e-mail address or a webhook id
    recipient TEXT NOT NULL,
    -- JSON: what to send (the webhook body exactly as signed)
    payload TEXT NOT NULL,
    -- pending → sent | failed | cancelled
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
CREATE INDEX alert_deliveries_ready ON alert_deliveries (status, next_attempt_at);
CREATE INDEX alert_deliveries_flag ON alert_deliveries (flag_id, created_at);
CREATE INDEX alert_deliveries_recipient ON alert_deliveries (recipient, created_at);

-- Every attempt of a delivery, with its outcome: sent | retry | failed | cancelled.
CREATE TABLE alert_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES alert_deliveries (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    error TEXT
);
CREATE INDEX alert_attempts_delivery ON alert_attempts (delivery_id, id);

-- Urgent flags waiting for an acknowledgement: armed when the flag alerts,
-- escalated once (escalated_at claims it) if still open after the delay.
CREATE TABLE flag_escalations (
    flag_id TEXT PRIMARY KEY NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    armed_at BIGINT NOT NULL,
    escalated_at BIGINT
);
CREATE INDEX flag_escalations_due ON flag_escalations (escalated_at, armed_at);
