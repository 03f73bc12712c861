-- Instants are milliseconds since the Unix epoch (BIGINT) on both backends.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE clinics (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Everyone who can sign in: clinic admins, clinicians and patients.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'patient')),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- NULL until a patient enrols.
    password_hash TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX accounts_clinic ON accounts (clinic_id, role);

CREATE TABLE patients (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    timezone TEXT NOT NULL,
    fitzpatrick INTEGER NOT NULL CHECK (fitzpatrick BETWEEN 1 AND 6),
    created_by TEXT NOT NULL
);
CREATE INDEX patients_clinic ON patients (clinic_id);

-- Refresh tokens are stored as SHA-256 hashes; a family is one sign-in.
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);

CREATE TABLE enrolment_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX enrolment_codes_patient ON enrolment_codes (patient_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    clinic_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX audit_log_clinic ON audit_log (clinic_id, id);
