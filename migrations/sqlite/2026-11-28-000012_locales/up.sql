-- Languages (issue 13). Every account has a locale (BCP 47 language tag of a
-- supported language: 'en' or 'tr'): a patient's is the language of their
-- app texts and reminders, a staff member's the console's and e-mails'.
-- New patients get their clinic's default locale.
ALTER TABLE clinics ADD COLUMN default_locale TEXT NOT NULL DEFAULT 'en';
ALTER TABLE accounts ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
