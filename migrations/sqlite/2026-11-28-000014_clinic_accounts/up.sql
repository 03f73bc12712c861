-- Accounts belong to their clinic: one e-mail may be two accounts at two
-- clinics. SQLite cannot drop the inline UNIQUE (email) of 000001, so
-- `accounts` is rebuilt the way sqlite.org/lang_altertable.html describes.
-- With foreign keys on, DROP TABLE accounts would cascade-delete every
-- child row (patients, logs, tokens...), and the pragma is a no-op inside a
-- transaction: this migration runs outside diesel's transaction
-- (metadata.toml), turns them off, works inside its own savepoint, and
-- refuses to go on if they are still on (a caller's open transaction).
-- `Db::migrate` runs all migrations with foreign keys off in one
-- transaction and checks them before it commits.
PRAGMA foreign_keys = OFF;
SAVEPOINT clinic_accounts;
CREATE TEMP TABLE clinic_accounts_guard (n INTEGER NOT NULL CHECK (n = 0));
INSERT INTO clinic_accounts_guard SELECT foreign_keys FROM pragma_foreign_keys;

CREATE TABLE accounts_new (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'patient')),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    -- NULL until a patient enrols.
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    alert_push BOOLEAN NOT NULL DEFAULT 1,
    alert_email BOOLEAN NOT NULL DEFAULT 0,
    token_generation BIGINT NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT 1,
    -- 000012 (languages).
    locale TEXT NOT NULL DEFAULT 'en'
);
INSERT INTO accounts_new (id, clinic_id, role, email, name, password_hash, created_at,
                          alert_push, alert_email, token_generation, active, locale)
SELECT id, clinic_id, role, email, name, password_hash, created_at,
       alert_push, alert_email, token_generation, active, locale
FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
CREATE INDEX accounts_clinic ON accounts (clinic_id, role);
CREATE UNIQUE INDEX accounts_clinic_email ON accounts (clinic_id, email);
-- Sign-in without a clinic code looks the e-mail up across clinics.
CREATE INDEX accounts_email ON accounts (email);

-- A short code per clinic, for signing in where one e-mail has accounts at
-- several clinics. Existing clinics get K00001, K00002...; new ones a random
-- code without 0 or 1, so the two never meet.
ALTER TABLE clinics ADD COLUMN code TEXT NOT NULL DEFAULT '';
UPDATE clinics SET code = 'K' || substr('00000' || (SELECT count(*) FROM clinics c WHERE c.id <= clinics.id), -5);
CREATE UNIQUE INDEX clinics_code ON clinics (code);

-- Sign-in and enrolment budgets shared by every process (used on
-- PostgreSQL; SQLite has one process and keeps them in memory). Keys are
-- SHA-256 hashes, so no e-mail or address is stored.
CREATE TABLE auth_budgets (
    key TEXT PRIMARY KEY NOT NULL,
    -- GCRA theoretical arrival time, ms since the epoch.
    tat BIGINT NOT NULL
);
-- (account, address) pairs that signed in: not held by the account ceiling.
CREATE TABLE auth_known (
    key TEXT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL
);

INSERT INTO clinic_accounts_guard SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE clinic_accounts_guard;
RELEASE clinic_accounts;
PRAGMA foreign_keys = ON;
