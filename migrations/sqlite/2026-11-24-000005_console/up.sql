-- Clinician console sign-ins. Only the SHA-256 of the cookie's token is kept,
-- so a copy of the database does not let anyone act as a signed-in clinician.
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_account ON console_sessions (account_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
