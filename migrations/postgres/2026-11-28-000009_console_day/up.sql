-- A clinician's browser subscribed from the console belongs to that console
-- sign-in: signing out there removes it (the hash of the session's token,
-- as console_sessions keeps it). NULL for subscriptions made over the API.
ALTER TABLE push_subscriptions ADD COLUMN console_session TEXT;
CREATE INDEX push_subscriptions_console_session ON push_subscriptions (console_session);
