DROP TABLE flag_events;
DROP TABLE flags;
DROP TABLE daily_logs;
DROP TABLE treatments;
ALTER TABLE patients DROP COLUMN change_seq;
DROP TABLE protocols;
