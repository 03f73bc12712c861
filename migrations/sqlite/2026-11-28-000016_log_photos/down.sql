DROP TABLE log_photos;
