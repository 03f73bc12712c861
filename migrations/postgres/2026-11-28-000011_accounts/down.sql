DROP TABLE staff_reset_codes;
ALTER TABLE accounts DROP COLUMN active;
ALTER TABLE accounts DROP COLUMN token_generation;
