-- Accounts belong to their clinic: one e-mail may be two accounts at two clinics.
ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;
CREATE UNIQUE INDEX accounts_clinic_email ON accounts (clinic_id, email);
-- Sign-in without a clinic code looks the e-mail up across clinics.
CREATE INDEX accounts_email ON accounts (email);

-- A short code per clinic, for signing in where one e-mail has accounts at
-- several clinics. Existing clinics get K00001, K00002...; new ones a random
-- code without 0 or 1, so the two never meet.
ALTER TABLE clinics ADD COLUMN code TEXT NOT NULL DEFAULT '';
UPDATE clinics SET code = 'K' || lpad((SELECT count(*) FROM clinics c WHERE c.id <= clinics.id)::text, 5, '0');
CREATE UNIQUE INDEX clinics_code ON clinics (code);

-- Sign-in and enrolment budgets shared by every process. Keys are SHA-256
-- hashes, so no e-mail or address is stored.
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
