//! Black-box tests over HTTP against a real server on a loopback port, run
//! once on SQLite and once on PostgreSQL. One binary for fast builds.

mod helpers;

mod accounts;
mod alerts;
mod apns_service;
mod auth;
mod authz;
mod backup;
mod clinic_accounts;
mod console;
mod contract;
mod corrections;
mod deploy;
mod dispatch;
mod errors;
mod faults;
mod fcm_service;
mod health;
mod input_text;
mod languages;
mod limits;
mod logs;
mod native_push;
mod patients;
mod photos;
mod planning;
mod privacy;
mod push_service;
mod recovery;
mod reminders;
mod schema_parity;
mod smtp_receiver;
mod sync;
mod sync_devices;
mod treatment_series;
mod triage;
mod webhook_receiver;
