ALTER TABLE accounts DROP COLUMN locale;
ALTER TABLE clinics DROP COLUMN default_locale;
