DROP TABLE flag_escalations;
DROP TABLE alert_deliveries;
DROP TABLE webhooks;
ALTER TABLE accounts DROP COLUMN alert_email;
ALTER TABLE accounts DROP COLUMN alert_push;
ALTER TABLE clinics DROP COLUMN alert_min_severity;
ALTER TABLE clinics DROP COLUMN alert_emails;
ALTER TABLE clinics DROP COLUMN emergency_number;
ALTER TABLE clinics DROP COLUMN timezone;
