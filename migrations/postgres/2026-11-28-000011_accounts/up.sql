-- Every access token carries its account's generation; bumping it (sign-out
-- everywhere, deactivation, password change) ends every earlier token at once.
ALTER TABLE accounts ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
-- Deactivated staff keep their account (audit, history) but cannot sign in.
ALTER TABLE accounts ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;

-- One-time password reset codes an admin issues a staff member: like
-- enrolment codes, single-use, expiring and stored only as a SHA-256.
CREATE TABLE staff_reset_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX staff_reset_codes_account ON staff_reset_codes (account_id);
