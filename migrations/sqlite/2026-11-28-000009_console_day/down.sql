DROP INDEX push_subscriptions_console_session;
ALTER TABLE push_subscriptions DROP COLUMN console_session;
