-- Fails (UNIQUE) if one e-mail has accounts at two clinics.
PRAGMA foreign_keys = OFF;
SAVEPOINT clinic_accounts;
CREATE TEMP TABLE clinic_accounts_guard (n INTEGER NOT NULL CHECK (n = 0));
INSERT INTO clinic_accounts_guard SELECT foreign_keys FROM pragma_foreign_keys;

DROP TABLE auth_known;
DROP TABLE auth_budgets;
DROP INDEX clinics_code;
ALTER TABLE clinics DROP COLUMN code;

CREATE TABLE accounts_old (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'patient')),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    alert_push BOOLEAN NOT NULL DEFAULT 1,
    alert_email BOOLEAN NOT NULL DEFAULT 0,
    token_generation BIGINT NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT 1,
    locale TEXT NOT NULL DEFAULT 'en'
);
INSERT INTO accounts_old (id, clinic_id, role, email, name, password_hash, created_at,
                          alert_push, alert_email, token_generation, active, locale)
SELECT id, clinic_id, role, email, name, password_hash, created_at,
       alert_push, alert_email, token_generation, active, locale
FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_old RENAME TO accounts;
CREATE INDEX accounts_clinic ON accounts (clinic_id, role);

INSERT INTO clinic_accounts_guard SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE clinic_accounts_guard;
RELEASE clinic_accounts;
PRAGMA foreign_keys = ON;
