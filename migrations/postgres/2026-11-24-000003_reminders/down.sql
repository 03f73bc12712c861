DROP TABLE push_jobs;
DROP TABLE reminder_occurrences;
DROP TABLE push_subscriptions;
DROP TABLE reminder_preferences;
DROP TABLE reminder_plans;
