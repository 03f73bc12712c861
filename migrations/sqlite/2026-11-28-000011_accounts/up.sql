-- Every access token carries its account's generation; bumping it (sign-out
-- everywhere, deactivation, password change) ends every earlier token at once.
ALTER TABLE accounts ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
-- Deactivated staff keep their account (audit, history) but cannot sign in.
ALTER TABLE accounts ADD COLUMN active BOOLEAN NOT NULL DEFAULT 1;
