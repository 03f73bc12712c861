-- Fails if one e-mail has accounts at two clinics.
DROP TABLE auth_known;
DROP TABLE auth_budgets;
DROP INDEX clinics_code;
ALTER TABLE clinics DROP COLUMN code;
DROP INDEX accounts_email;
DROP INDEX accounts_clinic_email;
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);
