ALTER TABLE clinics DROP COLUMN push_privacy;
ALTER TABLE push_subscriptions DROP COLUMN locale;
ALTER TABLE push_subscriptions DROP COLUMN environment;
ALTER TABLE push_subscriptions DROP COLUMN app_id;
ALTER TABLE push_subscriptions DROP COLUMN platform;
