DROP TABLE audit_log;
DROP TABLE enrolment_codes;
DROP TABLE refresh_tokens;
DROP TABLE patients;
DROP TABLE accounts;
DROP TABLE clinics;
DROP TABLE settings;
